import fc from 'fast-check';
import { SubmissionFault } from '../src/sandbox/SubmissionFault.ts';
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
  const property = fc.asyncProperty(...arbitraries, predicate);
  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.numRuns,
    examples: options.examples ?? [],
    endOnFailure: !options.shrink,
  });
  const metrics = options.metrics?.();
  if (!details.failed) {
    return metrics === undefined ? { passed: true, message: options.passedMessage() } : { passed: true, message: options.passedMessage(), metrics };
  }
  const error = details.errorInstance;
  if (error instanceof SubmissionFault) throw error;
  if (!(error instanceof PropertyFailure)) throw error instanceof Error ? error : new Error(String(error));
  const counterexample = details.counterexample === null ? null : [...details.counterexample];
  return {
    passed: false,
    message: error.message,
    counterexample: { seed: details.seed, path: details.counterexamplePath, args: counterexample },
    ...(metrics === undefined ? {} : { metrics }),
  };
}

/** A short, stable rendering of a number for messages. */
export function fmt(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6)) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}
