import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../_helpers.ts';

export interface SpawnedCli {
  readonly pid: number;
  /** Resolves when the process has exited (or was killed by the safety timeout). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * The real CLI (`node --import tsx src/run.ts …`) as a child this test can signal. A CLI that hangs is killed
 * (SIGKILL) after `timeoutMs`, so that a regression fails the test instead of hanging the suite.
 */
export function spawnCli(args: readonly string[], timeoutMs = 30_000): SpawnedCli {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/run.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  if (child.pid === undefined) throw new Error('the CLI did not start');
  return { pid: child.pid, exited, kill: (signal) => void child.kill(signal) };
}
