import { applyEdits } from '../src/task/applyEdits.ts';
import type { BoundProperty, TaskBinding } from './PropertyContract.ts';

/** The parts of a parsed task that properties may need (a structural subset of the task schema's output). */
export interface BindableTask {
  readonly id: string;
  readonly files: readonly { readonly path: string; readonly content: string }[];
  readonly solution: { readonly edits: readonly { readonly file: string; readonly find: string; readonly replace: string }[] };
  readonly grader: { readonly subject: { readonly file: string }; readonly properties: readonly BoundProperty[] };
  readonly limits: { readonly timeMs: number; readonly memoryMb: number; readonly outputBytes: number };
}

/**
 * The subject file after the reference solution's edits (the loader has checked that they apply, so this
 * cannot throw for a loaded task; it runs lazily, on first use).
 */
function referenceSource(task: BindableTask): string {
  const files = new Map(task.files.map((f) => [f.path, f.content]));
  return applyEdits(files, task.solution.edits).get(task.grader.subject.file) ?? '';
}

/**
 * Give every property of a parsed task access to its task (for the reference solution). Called by the task
 * schema once the whole file has validated; the reference source is computed lazily, on first use.
 */
export function bindTask<T extends BindableTask>(task: T): T {
  let source: string | undefined;
  const binding: TaskBinding = {
    taskId: task.id,
    subjectFile: task.grader.subject.file,
    referenceSource: () => (source ??= referenceSource(task)),
    limits: { timeMs: task.limits.timeMs, memoryMb: task.limits.memoryMb, outputBytes: task.limits.outputBytes },
  };
  const properties = task.grader.properties.map((p): BoundProperty => ({ ...p, run: (ctx) => p.run({ ...ctx, task: ctx.task ?? binding }) }));
  return { ...task, grader: { ...task.grader, properties } };
}
