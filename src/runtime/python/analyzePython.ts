import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { z } from 'zod';
import { RltaskError } from '../../errors.ts';
import { leaseSandboxUid } from '../../sandbox/sandboxUid.ts';
import { pythonCommand, pythonInstall } from './pythonSandbox.ts';
import { pythonSource } from './pythonSources.ts';

const located = { line: z.int().min(0), column: z.int().min(0) };
const param = z.strictObject({ name: z.string(), kind: z.enum(['positional', 'varargs', 'keyword', 'varkw']), default: z.string().nullable() });
const fn = z.strictObject({ name: z.string(), line: z.int(), params: z.array(param) });
const fileFacts = z.union([
  z.strictObject({ syntax: z.strictObject({ message: z.string(), ...located }) }),
  z.strictObject({
    syntax: z.null(),
    violations: z.array(z.strictObject({ message: z.string(), ...located })),
    api: z.strictObject({
      classes: z.array(z.strictObject({ name: z.string(), line: z.int(), bases: z.array(z.string().nullable()), methods: z.array(fn), attributes: z.array(z.string()) })),
      functions: z.array(fn),
      variables: z.array(z.string()),
    }),
    sqrt: z.array(z.strictObject({ ...located, scope: z.array(z.string()), how: z.string() })),
  }),
]);
const analysisSchema = z.strictObject({ files: z.record(z.string(), fileFacts) });

/** What src/runtime/python/_analyze.py reads from one file's syntax tree. */
export type PythonFileFacts = z.output<typeof fileFacts>;
/** A file that parsed and compiled, with its facts. */
export type ParsedPythonFile = Extract<PythonFileFacts, { syntax: null }>;
/** The public API of one file (top-level classes, functions, variables). */
export type PythonApi = ParsedPythonFile['api'];
export type PythonFunction = z.output<typeof fn>;

const TIMEOUT_MS = 30_000;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * Read Python files with Python's own `ast` (src/runtime/python/_analyze.py), in a sandboxed child like the one
 * submissions run in, bounded in time and output: parsing never executes the code, but the parser is fed
 * untrusted text. Throws (an internal error) only when the analyser itself fails.
 */
export async function analyzePython(files: ReadonlyMap<string, string>): Promise<ReadonlyMap<string, PythonFileFacts>> {
  const [py, analyzer] = await Promise.all([pythonInstall(), pythonSource('analyze')]);
  const uid = await leaseSandboxUid();
  const { command, args } = pythonCommand(py, analyzer, { memoryMb: 512, outputBytes: MAX_OUTPUT_BYTES, cpuSeconds: 20 }, uid.uid);
  const stdout = await new Promise<string>((resolve, reject) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, cwd: '/' });
    } catch (e) {
      uid.release();
      throw e;
    }
    const out: Buffer[] = [];
    let bytes = 0;
    let err = '';
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    };
    const timer = setTimeout(() => {
      kill();
      reject(new RltaskError('E_INTERNAL', `the Python analyser did not finish within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_OUTPUT_BYTES) kill();
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 4000) err += chunk.toString('utf8');
    });
    child.stdin.on('error', () => undefined);
    child.once('error', (e) => {
      clearTimeout(timer);
      uid.release();
      reject(new RltaskError('E_INTERNAL', `could not start the Python analyser: ${e.message}`, { cause: e }));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      uid.release();
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new RltaskError('E_INTERNAL', `the Python analyser failed (exit code ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
    child.stdin.end(JSON.stringify({ files: Object.fromEntries(files) }));
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new RltaskError('E_INTERNAL', 'the Python analyser printed no JSON');
  }
  const result = analysisSchema.safeParse(parsed);
  if (!result.success) throw new RltaskError('E_INTERNAL', `the Python analyser's output is malformed: ${result.error.message}`);
  return new Map(Object.entries(result.data.files));
}
