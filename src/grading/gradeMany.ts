import { availableParallelism } from 'node:os';
import type { TaskSpec } from '../spec/loadTask.ts';
import type { GradeResult } from './GradeResult.ts';
import { type GradeOptions, gradeWorkspace } from './gradeWorkspace.ts';

export interface GradeManyOptions extends GradeOptions {
  /** Grades in flight at once (default: the number of cores). */
  readonly concurrency?: number;
  /** Called as each result is ready, in completion order. */
  readonly onResult?: (result: GradeResult) => void;
  /** Stop starting new grades when aborted; grades in flight finish (their children are killed by the caller). */
  readonly signal?: AbortSignal;
}

/**
 * Grade many workspaces of one task in this process, `concurrency` at a time. Heavy modules (ts-morph,
 * esbuild, the harness bundle) load once and are shared. Results come back in input order; `onResult`
 * sees them as they finish.
 *
 * @example
 * const results = await gradeMany(spec, ['ws1', 'ws2'], { onResult: (r) => console.log(JSON.stringify(r)) });
 */
export async function gradeMany(spec: TaskSpec, dirs: readonly string[], options: GradeManyOptions = {}): Promise<GradeResult[]> {
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  const results: GradeResult[] = new Array(dirs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < dirs.length && options.signal?.aborted !== true) {
      const i = next++;
      const r = await gradeWorkspace(spec, dirs[i]!, options);
      results[i] = r;
      options.onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, dirs.length) }, worker));
  return results.filter((r) => r !== undefined);
}
