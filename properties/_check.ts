import fc from 'fast-check';
import { SubmissionFault } from '../src/errors.ts';
import type { Oracle } from '../src/sandbox/Oracle.ts';
import type { OracleReply, Request } from '../src/sandbox/protocol.ts';
import type { RunPlan } from './_layer.ts';
import type { CheckOutcome } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

export interface CheckOptions<Ts extends unknown[]> {
  readonly seed: number;
  readonly numRuns: number;
  /** Cases that always run first (e.g. the boundary values a task names). */
  readonly examples?: Ts[];
  /** Shrink a failure to a smaller counterexample (turn off for costly statistical runs). */
  readonly shrink: boolean;
  /** The message when every run passed. */
  readonly passedMessage: () => string;
  readonly metrics?: () => Record<string, number>;
  /** Replay only this run (fast-check's `counterexamplePath` format) and shrink from there. */
  readonly path?: string;
}

/** An outcome with the property's metrics, when it reports any. */
function withMetrics<Ts extends unknown[]>(outcome: CheckOutcome, options: CheckOptions<Ts>): CheckOutcome {
  const metrics = options.metrics?.();
  return metrics === undefined ? outcome : { ...outcome, metrics };
}

/**
 * Run an async fast-check property against the oracle. A PropertyFailure is the submission failing the
 * property (reported with seed and counterexample); a SubmissionFault (the child died or stalled) aborts the
 * whole grade; any other error is a bug in the grader and propagates as such.
 */
export async function checkProperty<Ts extends [unknown, ...unknown[]]>(
  arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  predicate: (...args: Ts) => Promise<void>,
  options: CheckOptions<Ts>,
): Promise<CheckOutcome> {
  // Shrinking keeps a case only while it still fails, so it walks a counterexample towards the edge of the
  // tolerance (an Infinity becomes a difference in the 9th digit): the first failure found is kept beside it.
  let first: { readonly args: unknown[]; readonly message: string } | undefined;
  const recording = async (...args: Ts): Promise<void> => {
    try {
      await predicate(...args);
    } catch (e) {
      if (first === undefined && e instanceof PropertyFailure) first = { args: [...args], message: e.message };
      throw e;
    }
  };
  const property = fc.asyncProperty(...arbitraries, recording);
  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.numRuns,
    examples: options.examples ?? [],
    endOnFailure: !options.shrink,
    ...(options.path === undefined ? {} : { path: options.path }),
  });
  if (!details.failed) return withMetrics({ passed: true, message: options.passedMessage() }, options);
  const error = details.errorInstance;
  if (error instanceof SubmissionFault) throw error;
  if (!(error instanceof PropertyFailure)) throw error instanceof Error ? error : new Error(String(error));
  const counterexample = details.counterexample === null ? null : [...details.counterexample];
  const base = { seed: details.seed, path: details.counterexamplePath, args: counterexample };
  if (first === undefined || first.message === error.message) return withMetrics({ passed: false, message: error.message, counterexample: base }, options);
  return withMetrics(
    {
      passed: false,
      message: `${error.message} [shrunk]; the first failing case found: ${first.message}`,
      counterexample: { ...base, firstFound: { args: first.args, message: first.message } },
    },
    options,
  );
}

/** The replies to `requests` handed to `use`; in reused memory when the plans are transient (RunPlan.transient). */
function answer(oracle: Oracle, requests: readonly Request[], what: string, transient: boolean, use: (replies: readonly OracleReply[]) => void): Promise<void> {
  return transient ? oracle.runLeased(requests, what, use) : oracle.run(requests, what).then(use);
}

/**
 * `checkProperty` for runs whose requests are all known before the first reply (see LayerPlan): the runs are
 * drawn up front — the very values fc.check would test, examples first — and sent in three batches (the
 * first run, the other examples, the rest), one round trip each instead of one per request. A passing property therefore ends
 * exactly as with fc.check: same runs, same requests in the same order, so the child's state (Math.random, a
 * module-level counter) evolves the same way.
 *
 * The first run that fails is reported as fc.check would report it: without shrinking, at its index; with
 * shrinking, fc.check replays just that run (`path`) and shrinks it, a round trip per run. If the replay does
 * not fail (a submission whose behaviour depends on what ran before), the batch's failure stands, unshrunk.
 */
export async function checkBatched<Ts extends [unknown, ...unknown[]]>(
  oracle: Oracle,
  what: string,
  arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  plan: (...args: Ts) => RunPlan,
  options: CheckOptions<Ts>,
): Promise<CheckOutcome> {
  const predicate = async (...args: Ts): Promise<void> => {
    const run = plan(...args);
    await answer(oracle, run.requests, what, run.transient === true, (replies) => run.verify(replies));
  };
  const property = fc.asyncProperty(...arbitraries, predicate);
  const examples = (options.examples ?? []).slice(0, options.numRuns);
  const generated = options.numRuns > examples.length ? fc.sample(property, { seed: options.seed, numRuns: options.numRuns - examples.length }) : [];
  const all: Ts[] = [...examples, ...generated];
  // The first run alone, then the other examples, then the generated runs: a submission that fails at once (the
  // usual case, at a boundary example) costs one run, not a whole batch; one that passes costs three round trips.
  const cuts = [...new Set([0, Math.min(1, all.length), examples.length, all.length])].sort((a, b) => a - b);
  const chunks = cuts.slice(1).map((end, i) => all.slice(cuts[i], end)).filter((c) => c.length > 0);
  let done = 0;
  let failure: { index: number; error: PropertyFailure } | undefined;
  for (const chunk of chunks) {
    const plans = chunk.map((args) => plan(...args));
    const requests = plans.flatMap((p) => p.requests);
    const label = `${what} (${chunk.length} run${chunk.length === 1 ? '' : 's'})`;
    const verifyAll = (replies: readonly OracleReply[]): void => {
      let at = 0;
      for (let k = 0; k < plans.length && failure === undefined; k++) {
        const p = plans[k]!;
        try {
          p.verify(replies.slice(at, at + p.requests.length));
        } catch (e) {
          if (!(e instanceof PropertyFailure)) throw e;
          failure = { index: done + k, error: e };
        }
        at += p.requests.length;
      }
    };
    await answer(oracle, requests, label, plans.every((p) => p.transient === true), verifyAll);
    done += chunk.length;
    if (failure !== undefined) break;
  }
  if (failure === undefined) return withMetrics({ passed: true, message: options.passedMessage() }, options);
  if (options.shrink) {
    const replayed = await checkProperty(arbitraries, predicate, { ...options, path: String(failure.index) });
    if (!replayed.passed) return replayed;
  }
  return withMetrics({ passed: false, message: failure.error.message, counterexample: { seed: options.seed, path: String(failure.index), args: [...all[failure.index]!] } }, options);
}

/** A short, stable rendering of a number for messages. */
export function fmt(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6)) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}
