import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { RltaskError } from '../../errors.ts';
import { leaseSandboxUid } from '../../sandbox/sandboxUid.ts';
import { sandboxLimits } from './pythonSandbox.ts';
import { pythonZygote, zygoteCommand } from './pythonZygote.ts';
import type { PYTHON_TOOL_NAMES } from './pythonSources.ts';

/** How long a tool may run and how much it may print (the analyser read in a grade's child is held to the same). */
export const TOOL_TIMEOUT_MS = 30_000;
export const TOOL_OUTPUT_BYTES = 16 * 1024 * 1024;

/** What each tool is called in its errors. */
const TITLES: Readonly<Record<(typeof PYTHON_TOOL_NAMES)[number], string>> = { analyze: 'the Python analyser', mutate: 'the Python mutator' };

/**
 * Run one of the runtime's Python tools (`_analyze.py`, `_mutate.py`) on `input` (its stdin) in a sandboxed process
 * like the one submissions run in (forked by the zygote), bounded in time, memory and output, and return what it printed. The tools
 * only parse and compile the code they are given, never execute it; the sandbox is there because the parser is
 * fed untrusted text. Throws (an internal error) when the tool itself fails.
 *
 * @example
 * const out = await runPythonTool('analyze', JSON.stringify({ files: { 'a.py': 'x = 1\n' } }));
 */
export async function runPythonTool(tool: (typeof PYTHON_TOOL_NAMES)[number], input: string): Promise<string> {
  const title = TITLES[tool];
  const zygote = await pythonZygote();
  // Leased once the tool is ready to start, so that a failed probe leaks no uid; released when its child is gone.
  const uid = await leaseSandboxUid();
  const { command, args } = zygoteCommand(zygote, tool, sandboxLimits({ memoryMb: 512, cpuSeconds: 20 }), uid.uid);
  return new Promise<string>((resolve, reject) => {
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
      reject(new RltaskError('E_INTERNAL', `${title} did not finish within ${TOOL_TIMEOUT_MS} ms`));
    }, TOOL_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > TOOL_OUTPUT_BYTES) kill();
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 4000) err += chunk.toString('utf8');
    });
    child.stdin.on('error', () => undefined);
    child.once('error', (e) => {
      clearTimeout(timer);
      uid.release();
      reject(new RltaskError('E_INTERNAL', `could not start ${title}: ${e.message}`, { cause: e }));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      uid.release();
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new RltaskError('E_INTERNAL', `${title} failed (exit code ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
    child.stdin.end(input);
  });
}
