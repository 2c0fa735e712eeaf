import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RltaskError } from '../errors.ts';
import { applyEdits, type TaskSpec } from '../task/loadTask.ts';
import type { Edit } from '../task/taskSchema.ts';
import { initWorkspace } from '../workspace/initWorkspace.ts';
import type { GradeResult } from './GradeResult.ts';
import { type GradeOptions, gradeWorkspace } from './gradeWorkspace.ts';

/** A known submission of a task: the planted bug, the reference solution, or a named decoy. */
export interface TaskCase {
  readonly name: string;
  readonly kind: 'bug' | 'reference' | 'decoy';
  readonly expect: 'pass' | 'fail';
  readonly edits: readonly Edit[];
}

/** The bug (the files as given), the reference solution, then every decoy. */
export function taskCases(spec: TaskSpec): TaskCase[] {
  return [
    { name: 'bug', kind: 'bug', expect: 'fail', edits: [] },
    { name: 'reference', kind: 'reference', expect: 'pass', edits: spec.solution.edits },
    ...spec.decoys.filter((d) => d.edits.length > 0).map((d) => ({ name: d.name, kind: 'decoy' as const, expect: 'fail' as const, edits: d.edits })),
  ];
}

/** The task's file contents after a case's edits. */
export function caseContents(spec: TaskSpec, c: TaskCase): Map<string, string> {
  return applyEdits(new Map(spec.files.map((f) => [f.path, f.content])), c.edits);
}

/** Materialize a case in a temporary workspace, grade it, and remove the workspace. */
export async function gradeCase(spec: TaskSpec, c: TaskCase, options: GradeOptions = {}): Promise<GradeResult> {
  const dir = await mkdtemp(path.join(tmpdir(), `rltask-${spec.id}-`)).catch((e: unknown) => {
    // The environment's fault, not the case's: say which directory and how to fix it.
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new RltaskError('E_INTERNAL', `cannot create a temporary workspace in ${tmpdir()} (${code}); set TMPDIR to a writable directory`, { cause: e });
  });
  try {
    await initWorkspace(spec, dir, { force: true, contents: caseContents(spec, c) });
    return await gradeWorkspace(spec, dir, { label: c.name, ...options });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
