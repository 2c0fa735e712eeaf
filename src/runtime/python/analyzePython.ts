import { z } from 'zod';
import { RltaskError, SubmissionFault } from '../../errors.ts';
import type { Sandbox } from '../../sandbox/Sandbox.ts';
import { runPythonTool, TOOL_OUTPUT_BYTES, TOOL_TIMEOUT_MS } from './runPythonTool.ts';

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

/** The analyser's facts, validated: an internal error when they are not what it prints. */
function factsOf(parsed: unknown): ReadonlyMap<string, PythonFileFacts> {
  const result = analysisSchema.safeParse(parsed);
  if (!result.success) throw new RltaskError('E_INTERNAL', `the Python analyser's output is malformed: ${result.error.message}`);
  return new Map(Object.entries(result.data.files));
}

/**
 * Read Python files with Python's own `ast` (src/runtime/python/_analyze.py), in a sandboxed child like the one
 * submissions run in, bounded in time and output: parsing never executes the code, but the parser is fed
 * untrusted text. Throws (an internal error) only when the analyser itself fails.
 */
export async function analyzePython(files: ReadonlyMap<string, string>): Promise<ReadonlyMap<string, PythonFileFacts>> {
  const stdout = await runPythonTool('analyze', JSON.stringify({ files: Object.fromEntries(files) }));
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new RltaskError('E_INTERNAL', 'the Python analyser printed no JSON');
  }
  return factsOf(parsed);
}

/**
 * `analyzePython` in the harness of the sandbox the submission will be loaded into, before it is (the grade's own
 * child: no process of its own). Its answer is trusted only because nothing but the harness and the analyser has
 * run in that process yet; it is bounded in time and size as the tool is. Throws an internal error when the analyser fails or its child dies while reading.
 */
export async function analyzePythonIn(sandbox: Sandbox, files: ReadonlyMap<string, string>): Promise<ReadonlyMap<string, PythonFileFacts>> {
  let facts: unknown;
  try {
    facts = await sandbox.analyze(files, TOOL_TIMEOUT_MS, TOOL_OUTPUT_BYTES);
  } catch (e) {
    if (e instanceof SubmissionFault) throw new RltaskError('E_INTERNAL', `the Python analyser failed in the sandbox: ${e.message}`, { cause: e });
    throw e;
  }
  return factsOf(facts);
}
