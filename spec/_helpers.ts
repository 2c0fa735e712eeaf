import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTask, type TaskSpec } from '../src/task/loadTask.ts';
import { initWorkspace } from '../src/workspace/initWorkspace.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DROPOUT_YAML = path.join(ROOT, 'tasks/variance-dropout.yaml');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the real CLI (`node --import tsx src/run.ts …`) and collect its exit code and output. */
export function cli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'src/run.ts'), ...args],
      { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 99;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const dirs: string[] = [];

/** A fresh temporary directory, removed by `cleanupTmp()`. */
export async function tmp(prefix = 'rltask-spec-'): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export async function cleanupTmp(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

let dropout: Promise<TaskSpec> | undefined;
export function dropoutTask(): Promise<TaskSpec> {
  dropout ??= loadTask(DROPOUT_YAML);
  return dropout;
}

export const BUG_LINE = 'const scale = 1.0 / keepProb;';

/** A workspace of the dropout task whose dropout.ts has `replace(original)` as content. */
export async function dropoutWorkspace(edit: (source: string) => string = (s) => s): Promise<string> {
  const spec = await dropoutTask();
  const dir = await tmp('rltask-ws-');
  const original = spec.files.find((f) => f.path === 'dropout.ts')!.content;
  await initWorkspace(spec, dir, { force: true, contents: new Map([['dropout.ts', edit(original)]]) });
  return dir;
}

/** dropout.ts with the scale line replaced. */
export function withScale(expr: string): (s: string) => string {
  return (s) => s.replace(BUG_LINE, `const scale = ${expr};`);
}
