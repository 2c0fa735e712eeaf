import { RltaskError } from '../errors.ts';
import { runtimeFor } from '../runtime/registry.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { readWorkspaceFiles } from './readWorkspaceFiles.ts';

/** What running a workspace's visible tests gave. */
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
  const runtime = runtimeFor(spec.runtime);
  const files = await readWorkspaceFiles(spec, dir);
  const done = (passed: boolean, output: string): VisibleTestRun => ({ passed, output, durationMs: Math.round(performance.now() - started) });
  if (!files.has(spec.tests.file)) return done(false, `${spec.tests.file} is missing from the workspace (or is not a regular file)`);
  const bundle = await runtime.bundleTests(spec.tests.file, files);
  if (!bundle.ok) return done(false, `the tests do not compile:\n${bundle.message}`);
  // The tests are the program the child loads: a failure to load is the tests failing.
  const run = await runtime.start(bundle.program, { limits: spec.limits, randomSeed: seed });
  const child = run.ok ? run.subject : run.child;
  await child.dispose();
  if (run.ok) return done(true, child.output);
  return done(false, `${child.output}\n${run.fault ? '' : `${run.thrown.name}: `}${run.thrown.message}\n`);
}
