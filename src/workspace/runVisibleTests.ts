import { Sandbox } from '../sandbox/Sandbox.ts';
import { bundleFiles } from '../runtime/typescript/transpile.ts';
import { RltaskError } from '../errors.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { sandboxOptions } from '../grading/gradeWorkspace.ts';
import { readWorkspaceFiles } from './readWorkspaceFiles.ts';

export interface VisibleTestRun {
  /** The tests ran to the end without throwing. Informational: this is not the grader's verdict. */
  readonly passed: boolean;
  /** What the tests printed, followed by the error that stopped them, if any. */
  readonly output: string;
  readonly durationMs: number;
}

/**
 * Run a workspace's visible tests (the task's `tests.file`, bundled with the task files as they are in the
 * workspace) in the same sandbox and limits as grading. This is what an agent runs while it works.
 */
export async function runVisibleTests(spec: TaskSpec, dir: string, seed = spec.grader.seed): Promise<VisibleTestRun> {
  const started = performance.now();
  if (spec.tests === undefined) throw new RltaskError('E_SPEC', `${spec.sourcePath}: the task declares no visible tests (tests.file)`);
  const files = await readWorkspaceFiles(spec, dir);
  const done = (passed: boolean, output: string): VisibleTestRun => ({ passed, output, durationMs: Math.round(performance.now() - started) });
  if (!files.has(spec.tests.file)) return done(false, `${spec.tests.file} is missing from the workspace (or is not a regular file)`);
  const bundle = await bundleFiles(spec.tests.file, files);
  if (!bundle.ok) return done(false, `the tests do not compile:\n${bundle.message}`);
  const sandbox = await Sandbox.start(sandboxOptions(spec));
  try {
    const r = await sandbox.load(bundle.code, spec.tests.file, seed, spec.limits.timeMs).catch((e: Error) => ({ ok: false as const, thrown: { name: 'stopped', message: e.message } }));
    await sandbox.dispose();
    const tail = r.ok ? '' : `\n${r.thrown.name === 'stopped' ? '' : `${r.thrown.name}: `}${r.thrown.message}\n`;
    return done(r.ok, `${sandbox.output}${tail}`);
  } finally {
    await sandbox.dispose();
  }
}
