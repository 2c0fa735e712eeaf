import { applyEdits } from './applyEdits.ts';
import type { TaskSpecData } from './taskSchema.ts';

/**
 * The subject file as the reference solution leaves it. The loader has checked that the solution's edits
 * apply, so this does not throw for a loaded task.
 */
export function referenceSource(spec: Pick<TaskSpecData, 'files' | 'solution' | 'grader'>): string {
  const files = new Map(spec.files.map((f) => [f.path, f.content]));
  return applyEdits(files, spec.solution.edits).get(spec.grader.subject.file) ?? '';
}
