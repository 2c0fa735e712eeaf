import v8 from 'node:v8';

/**
 * V8 settings for a grading process, in the order they are set. Both trade V8's defaults — tuned for long-lived
 * pages that must stay responsive — for less background work in a process that grades for seconds to minutes.
 *
 * `--heap-growing-percent=200`: grading many workspaces in one process hits a V8 heuristic. Once the young
 * generation has grown to its maximum, an old generation of about its size live (mostly the TypeScript compiler) is
 * left less free room than the young generation's size, and V8 then starts a full mark-compact after almost every
 * scavenge — about one per grade, which multiplied the grading process's CPU after the first few dozen grades
 * (docs/performance.md). Letting the old generation grow to 3× its live size before the next full GC avoids
 * that.
 *
 * `--interrupt-budget=270336` (4× the default): V8 counts the bytecode each function executes and, every
 * interrupt budget, considers optimizing it with TurboFan. At the default, a `grade` call of many workspaces had
 * hundreds of functions compiled on V8's background threads, CPU taken from the cores the sandboxes run on, mostly for functions that were hot for a moment (the start-up, the first
 * grades). With four times the budget only the code that stays hot is optimized: about half the background-thread
 * CPU, the main thread's hardly changed (docs/performance.md).
 *
 * Called first thing by the CLI's entries, before any code is compiled: a changed V8 flag changes the flag hash
 * that V8 code caches are checked against, so the caches in dist/v8-cache are recorded and used with these set.
 * A program that grades many workspaces through the library (`gradeMany` in a loop) should call it once at
 * start-up too; it changes process-wide V8 settings, which is why the library does not do it on its own.
 *
 * @example
 * import { gradeMany, loadTask, tuneV8 } from './src/index.ts';
 * tuneV8();
 * const spec = await loadTask('tasks/variance-dropout.yaml');
 * for (const batch of batches) await gradeMany(spec, batch);
 */
export const GRADING_V8_FLAGS = ['--heap-growing-percent=200', '--interrupt-budget=270336'] as const;

/** Set {@link GRADING_V8_FLAGS} in this process (see there for why and when). */
export function tuneV8(): void {
  for (const flag of GRADING_V8_FLAGS) v8.setFlagsFromString(flag);
}
