import { availableParallelism } from 'node:os';
import { runtimeFor } from '../runtime/registry.ts';
import { SandboxPool } from '../sandbox/SandboxPool.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import type { GradeResult } from './GradeResult.ts';
import { type GradeOptions, type PreparedGrade, prepareGrade } from './gradeWorkspace.ts';

/** `gradeWorkspace`'s options, plus how many grades run at once, a callback per result, and an abort signal. */
export interface GradeManyOptions extends Omit<GradeOptions, 'label'> {
  /** Grades in flight at once (default: the number of cores). */
  readonly concurrency?: number;
  /** Called once per workspace as its result is ready, in completion order. */
  readonly onResult?: (result: GradeResult) => void;
  /**
   * Abort to stop the batch: no new grade starts, the children of grades in flight are killed, and those grades'
   * results are dropped (a child killed by us says nothing about the submission).
   */
  readonly signal?: AbortSignal;
}

/**
 * Grade many workspaces of one task in this process, `concurrency` at a time. Heavy modules (the TypeScript compiler, esbuild,
 * the harness bundle) load once and are shared, and sandboxes come from a pool of pre-started children (one
 * submission per child, never reused), so a child's start-up overlaps the previous grade. A workspace that its
 * static phase decides (a missing file, code that does not compile or breaks the policy, with `failFast` a failed
 * static check) is reported at once and gets no child; with `failFast` the next workspaces are checked a little
 * ahead, so that no child is pre-started for them either. Returns the results in input order (only those that
 * finished before an abort); `onResult` sees each as it finishes.
 *
 * @example
 * const results = await gradeMany(spec, ['ws1', 'ws2'], { onResult: (r) => console.log(JSON.stringify(r)) });
 */
export async function gradeMany(spec: TaskSpec, dirs: readonly string[], options: GradeManyOptions = {}): Promise<GradeResult[]> {
  const { concurrency: wanted, onResult, signal, startSandbox, ...gradeOptions } = options;
  const concurrency = Math.max(1, Math.min(Math.floor(wanted ?? availableParallelism()), dirs.length));
  const results: (GradeResult | undefined)[] = new Array<GradeResult | undefined>(dirs.length).fill(undefined);
  const aborted = (): boolean => signal?.aborted === true;
  if (dirs.length === 0 || aborted()) return [];
  // A caller-supplied start function is used as is; otherwise one pool serves the batch, started right away so
  // that the first children boot while the TypeScript compiler and the first submissions are being read and checked.
  // The properties' cached inputs are the same for every workspace graded with one seed: the pool shares them
  // with its children through one file.
  const runtime = runtimeFor(spec.runtime);
  const pool = startSandbox === undefined ? new SandboxPool(runtime.childOptions(spec.limits), { size: concurrency, limit: dirs.length, shareInputs: true, start: (o) => runtime.startChild(o) }) : null;
  const start = pool === null ? startSandbox : () => pool.take();
  const onAbort = (): void => pool?.kill();
  signal?.addEventListener('abort', onAbort, { once: true });
  // Workspaces are prepared (read, transpiled, statically checked) in input order as workers need them; a grade
  // decided there (a missing file, code that does not compile or breaks the policy, a failed static check under
  // failFast) is reported at once, takes no child and lowers the pool's limit. Under failFast, where that is
  // common, a grade about to take its child — which starts a replacement — first has the next workspaces prepared
  // until `concurrency` of them are known to need a sandbox (or none are left): a batch whose tail fails its
  // static checks then pre-starts no child that nobody will use. (Without failFast nearly every grade needs one,
  // and looking ahead only delayed the first children's work: 1–3 % slower.)
  const aheadWanted = gradeOptions.failFast === true ? concurrency : 0;
  let cursor = 0;
  const waiting: { readonly i: number; readonly grade: PreparedGrade }[] = [];
  const report = (i: number, r: GradeResult): void => {
    if (aborted()) return;
    results[i] = r;
    onResult?.(r);
  };
  // One workspace is prepared at a time, in order, so that when `preparing` has settled the outcome of every
  // workspace up to `cursor` is known (a worker must not take its child while another's look-ahead is still out).
  let preparing: Promise<void> = Promise.resolve();
  const prepareNext = (): Promise<void> => {
    preparing = preparing.then(async () => {
      if (cursor >= dirs.length || aborted()) return;
      const i = cursor++;
      // A runtime that reads the code in the grade's own child (Python) takes it here, from the same source.
      const grade = await prepareGrade(spec, dirs[i]!, start === undefined ? gradeOptions : { ...gradeOptions, startSandbox: start });
      if (grade.needsSandbox) waiting.push({ i, grade });
      else {
        if (!grade.tookChild) pool?.forgo();
        report(i, await grade.finish());
      }
    });
    return preparing;
  };
  /** The next prepared grade that needs a sandbox, preparing more as needed; undefined when none is left. */
  const nextGrade = async (): Promise<{ readonly i: number; readonly grade: PreparedGrade } | undefined> => {
    for (;;) {
      // Taken in the same turn as the check, so two workers never see one grade as theirs.
      const ready = waiting.shift();
      if (ready !== undefined) return ready;
      if (aborted()) return undefined;
      if (cursor < dirs.length) {
        await prepareNext();
        continue;
      }
      // Nothing left to start preparing; one still being prepared may yet need a sandbox.
      const last = preparing;
      await last;
      if (waiting.length === 0 && preparing === last) return undefined;
    }
  };
  /** Prepare until `wanted` grades are known to need a sandbox or every workspace is prepared, with no prepare out. */
  const lookAhead = async (wanted: number): Promise<void> => {
    for (;;) {
      await preparing;
      if (waiting.length >= wanted || cursor >= dirs.length || aborted()) return;
      await prepareNext();
    }
  };
  const worker = async (): Promise<void> => {
    for (;;) {
      const next = await nextGrade();
      if (next === undefined) return;
      if (aborted()) {
        await next.grade.discard();
        return;
      }
      await lookAhead(aheadWanted);
      report(next.i, await next.grade.finish(start));
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Grades prepared but never finished (an abort) may hold the child their static half ran in; one may still be
    // being prepared.
    await preparing.catch(() => undefined);
    await Promise.all(waiting.splice(0).map((w) => w.grade.discard()));
    await pool?.close();
  }
  return results.filter((r): r is GradeResult => r !== undefined);
}
