import { z } from 'zod';
import { type CallOutcome, returned } from './_call.ts';
import { checkDimScale, checkInjectedRng, dimScaleSchema, dimScaleValue } from './_dimScale.ts';
import { checkProperty, fmt } from './_check.ts';
import { type CaseDraw, callSchema, caseArbitrary, checkCall, describeCall, materialize } from './_inputs.ts';
import { falseReject } from './_params.ts';
import { repeatCalls } from './_repeatCalls.ts';
import { bernsteinSamples, chiSquareSamples, gaussianMeanSamples } from './_stats.ts';
import { nonFinite, numbersOf } from './_values.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';


/** Output distributions a correct implementation may be stated to have: zero mean, iid. */
const nullDistributions = ['gaussian', 'uniform', 'rademacher'] as const;
type NullDistribution = (typeof nullDistributions)[number];

/**
 * Samples needed per run so that a correct implementation fails the second-moment test or the mean test with
 * probability at most δ (split evenly between them). With z = y²/σ²:
 * gaussian: Σz is χ²_n (Laurent–Massart); the mean of y/σ is N(0, 1/n).
 * uniform on [−√3σ, √3σ]: z ∈ [0, 3] with Var z = 4/5, y/σ ∈ [−√3, √3] with variance 1 (Bernstein).
 * rademacher (±σ): z = 1 exactly; y/σ = ±1 (Bernstein).
 */
export function momentSamples(dist: NullDistribution, tolerance: number, meanTolerance: number, delta: number): number {
  const d = delta / 2;
  switch (dist) {
    case 'gaussian':
      return Math.max(chiSquareSamples(tolerance, d), gaussianMeanSamples(meanTolerance, d));
    case 'uniform':
      return Math.max(bernsteinSamples(tolerance, 0.8, 2, d), bernsteinSamples(meanTolerance, 1, Math.sqrt(3), d));
    case 'rademacher':
      return bernsteinSamples(meanTolerance, 1, 1, d);
  }
}

/**
 * The second moment of a random function's outputs: a correct implementation's outputs are iid, zero-mean, of
 * the stated family, with E[Y²] = value / (sum of the `divideBy` dimensions), e.g. He initialisation:
 * Var(w) = 2 / fanIn. Each run draws a case and calls it again with fresh injected-rng streams (in one batch) until
 * the sample is large enough for the stated false-reject rate (the same error-rate-driven sizing as second-moment-ratio);
 * then |mean(y²)/E[Y²] − 1| ≤ tolerance and |mean(y)|/√E[Y²] ≤ meanTolerance must hold.
 */
export const momentRatio = defineProperty({
  name: 'moment-ratio',
  summary: 'outputs of a random function have the stated second moment and zero mean (false-reject ≤ falseReject per run)',
  params: z.strictObject({
    call: callSchema,
    /** E[Y²] of a correct implementation: value / (sum of these dimensions; 1 when none). */
    target: dimScaleSchema,
    /** The family of a correct implementation's outputs (iid, zero mean); it sets the sample size. */
    distribution: z.enum(nullDistributions),
    tolerance: z.number().gt(0).lt(1).default(0.05),
    meanTolerance: z.number().gt(0).lt(1).default(0.05),
    falseReject,
    runs: z.int().min(1).max(1000).default(8),
    /** Most calls pooled for one run (each call gets fresh rng streams). */
    maxCalls: z.int().min(1).max(100_000).default(1000),
    /**
     * Fewest calls pooled for one run: a long run of calls on one case, so that an answer that changes after
     * many calls (a counter, a cache) moves the pooled moments.
     */
    minCalls: z.int().min(1).max(100_000).default(1),
  }),
  falseRejectBound: (params) => params.runs * params.falseReject,
  check(params, issue) {
    checkCall(params.call, issue);
    checkDimScale(params.call, params.target, 'target', 'a target E[Y²]', issue);
    checkInjectedRng(params.call, issue);
    if (params.minCalls > params.maxCalls) issue('minCalls must not exceed maxCalls', ['minCalls']);
  },
  async run(ctx, params) {
    const n = momentSamples(params.distribution, params.tolerance, params.meanTolerance, params.falseReject);
    let worstRatio = 0;
    let worstMean = 0;
    let calls = 0;
    return checkProperty(
      [caseArbitrary(params.call)],
      async (draw: CaseDraw) => {
        const target = dimScaleValue(params.target, draw.dims);
        const sd = Math.sqrt(target);
        const what = describeCall(params.call, ctx.subject, materialize(params.call, draw));
        let count = 0;
        let sumZ = 0;
        let sumY = 0;
        const take = (outcome: CallOutcome | undefined): void => {
          const r = returned(outcome!, what, params.call);
          const bad = nonFinite(r.value, 'result');
          if (bad !== null) throw new PropertyFailure(`${bad}, for ${what}`);
          const ys = numbersOf(r.value);
          if (ys === null) throw new PropertyFailure(`returned no numbers (${r.value.type}), for ${what}`);
          if (ys.length === 0) throw new PropertyFailure(`returned no values, for ${what}`);
          for (const y of ys) {
            sumZ += (y * y) / target;
            sumY += y / sd;
          }
          count += ys.length;
        };
        // One call shows how many values a call gives; the calls still needed then go in one batch (one round trip).
        const [first] = await repeatCalls(ctx.oracle, ctx.subject, params.call, draw, 0, 1);
        take(first);
        const needed = Math.max(params.minCalls, Math.ceil(n / count));
        // Too few values is the submission's behaviour (a wrong shape), so it fails the property; if the
        // reference fails the same way, `check` shows it and the task's dims or maxCalls need raising.
        if (needed > params.maxCalls) throw new PropertyFailure(`${params.maxCalls} calls give only ${params.maxCalls * count} values; ${n} are needed (maxCalls), for ${what}`);
        calls += needed;
        if (needed > 1) for (const outcome of await repeatCalls(ctx.oracle, ctx.subject, params.call, draw, 1, needed - 1)) take(outcome);
        const ratio = sumZ / count;
        const mean = sumY / count;
        if (!(Math.abs(ratio - 1) <= params.tolerance)) {
          throw new PropertyFailure(`E[Y²] is ${fmt(ratio)} × the required ${fmt(target)} (n = ${count}); it must be within ±${params.tolerance} of it, for ${what}`);
        }
        if (!(Math.abs(mean) <= params.meanTolerance)) {
          throw new PropertyFailure(`the mean is ${fmt(mean)} standard deviations (√${fmt(target)}) away from 0 (n = ${count}); it must be within ±${params.meanTolerance}, for ${what}`);
        }
        worstRatio = Math.max(worstRatio, Math.abs(ratio - 1));
        worstMean = Math.max(worstMean, Math.abs(mean));
      },
      {
        seed: ctx.seed,
        numRuns: params.runs,
        shrink: false,
        passedMessage: () =>
          `${params.runs} runs: |E[Y²]/target − 1| ≤ ${fmt(worstRatio)} (tolerance ${params.tolerance}), |mean|/σ ≤ ${fmt(worstMean)} (tolerance ${params.meanTolerance}); n ≥ ${n} per run, false-reject ≤ ${params.falseReject} per run`,
        metrics: () => ({ samplesPerRun: n, calls, worstRatioError: worstRatio, worstMeanError: worstMean }),
      },
    );
  },
});
