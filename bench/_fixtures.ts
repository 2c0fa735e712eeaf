import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { caseContents, taskCases } from '../src/grading/gradeCases.ts';
import type { TaskSpec } from '../src/task/loadTask.ts';
import { initWorkspace } from '../src/workspace/initWorkspace.ts';

/** Workspaces for the benchmarks: copies of the task's reference solution and of its planted bug. */
export interface Fixtures {
  readonly root: string;
  readonly correct: readonly string[];
  readonly buggy: readonly string[];
  /** Source of the subject file in the reference solution (for the cost split). */
  readonly referenceSource: string;
  /** Every editable file of the reference solution with its original text (for the AST checks). */
  readonly referenceFiles: ReadonlyMap<string, { readonly submitted: string; readonly original: string }>;
  cleanup(): Promise<void>;
}

export async function makeFixtures(spec: TaskSpec, correct: number, buggy: number): Promise<Fixtures> {
  const cases = taskCases(spec);
  const reference = cases.find((c) => c.kind === 'reference')!;
  const bug = cases.find((c) => c.kind === 'bug')!;
  const refContents = caseContents(spec, reference);
  const bugContents = caseContents(spec, bug);
  const root = await mkdtemp(path.join(tmpdir(), 'rltask-bench-'));
  const make = async (prefix: string, n: number, contents: Map<string, string>): Promise<string[]> => {
    const dirs = Array.from({ length: n }, (_, i) => path.join(root, `${prefix}-${String(i + 1).padStart(2, '0')}`));
    await Promise.all(dirs.map((d) => initWorkspace(spec, d, { contents })));
    return dirs;
  };
  const referenceFiles = new Map(
    spec.files.filter((f) => f.role === 'editable').map((f) => [f.path, { submitted: refContents.get(f.path) ?? f.content, original: f.content }] as const),
  );
  return {
    root,
    correct: await make('correct', correct, refContents),
    buggy: await make('buggy', buggy, bugContents),
    referenceSource: refContents.get(spec.grader.subject.file) ?? '',
    referenceFiles,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
