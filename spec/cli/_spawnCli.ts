import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../_helpers.ts';

export interface Exited {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Killed by the safety timeout: the CLI did not end by itself. */
  readonly timedOut: boolean;
}

export interface SpawnedCli {
  readonly pid: number;
  readonly exited: Promise<Exited>;
  /** What it has written so far. */
  output(): { stdout: string; stderr: string };
  kill(signal: NodeJS.Signals): void;
}

/**
 * The real CLI (`node --import tsx src/run.ts …`) as a child this test can signal. A CLI that hangs is killed
 * (SIGKILL) after `timeoutMs`, so that a regression fails the test instead of hanging the suite.
 */
export function spawnCli(args: readonly string[], timeoutMs = 30_000, env?: NodeJS.ProcessEnv): SpawnedCli {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/run.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...(env === undefined ? {} : { env }) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const exited = new Promise<Exited>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  if (child.pid === undefined) throw new Error('the CLI did not start');
  return { pid: child.pid, exited, output: () => ({ stdout, stderr }), kill: (signal) => void child.kill(signal) };
}

/** Poll until `ready()` holds; false if it did not within `timeoutMs`. */
export async function until(ready: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if (await ready()) return true;
  }
  return false;
}
