import { z } from 'zod';
import { sharedSpread } from './_distributions.ts';
import { checkBatched, fmt } from './_check.ts';
import { LayerPlan, layerInterfaceParams } from './_layer.ts';
import { falseReject, rateArbitrary, rateRange, seedArbitrary } from './_params.ts';
import { bernsteinHalfWidth, bernsteinSamples } from './_stats.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/**
 * The fraction of dropped units is p. With n non-zero inputs the number dropped D is Binomial(n, p) for a
 * correct layer; Bernstein's inequality (variance p·q/n, terms bounded by max(p, q)/n) gives the acceptance
 * half-width for a stated false-reject rate. Testing arbitrary p, not just 0.5, catches an inverted mask.
 *
 * The sample is sized per p from that bound: the smallest n whose half-width is at most `tolerance`, so a rate
 * near 0 or 1 (variance p·q small) needs far fewer units than p = 0.5, and every p accepts the same deviation
 * at most. (`n` fixes the size for every p instead.)
 */
/** Bounds on the sized n: enough units for the bound to mean something at p = 0, and a cap on the work. */
const MIN_N = 1000;
const MAX_N = 10_000_000;

export const dropFraction = defineProperty({
  name: 'drop-fraction',
  summary: 'the fraction of zeroed units matches p within a binomial bound (false-reject ≤ falseReject)',
  params: z.strictObject({
    ...layerInterfaceParams,
    falseReject,
    p: rateRange(0, 0.95, [0.1, 0.3, 0.7]),
    /** The largest |dropped fraction − p| accepted at any p; n per p is the smallest whose bound is within it. */
    tolerance: z.number().gt(0).max(0.5).default(0.025),
    /** A fixed sample size for every p instead of sizing it from `tolerance`. */
    n: z.int().min(100).max(MAX_N).optional(),
    runs: z.int().min(1).max(1000).default(8),
  }),
  falseRejectBound: (params) => (params.runs + params.p.include.length) * params.falseReject,
  async run(ctx, params) {
    let widest = 0;
    let smallest = Number.POSITIVE_INFINITY;
    let largest = 0;
    const sizeFor = (p: number): number => params.n ?? Math.min(MAX_N, Math.max(MIN_N, bernsteinSamples(params.tolerance, p * (1 - p), Math.max(p, 1 - p), params.falseReject)));
    return checkBatched(
      ctx.oracle,
      'drop-fraction',
      [rateArbitrary(params.p), seedArbitrary, seedArbitrary],
      (p, dataSeed, maskSeed) => {
        const n = sizeFor(p);
        const x = sharedSpread(n, dataSeed, 3);
        const plan = new LayerPlan(ctx, params);
        const layer = plan.newLayer(p, maskSeed);
        const out = plan.forward(layer, x, `p = ${fmt(p)}, n = ${n}`);
        return plan.check((take) => {
          take(layer.made);
          const { y } = take(out);
          let dropped = 0;
          for (let i = 0; i < n; i++) if (y[i] === 0) dropped++;
          const q = 1 - p;
          const half = bernsteinHalfWidth((p * q) / n, Math.max(p, q) / n, params.falseReject);
          widest = Math.max(widest, half);
          smallest = Math.min(smallest, n);
          largest = Math.max(largest, n);
          const frac = dropped / n;
          if (!(Math.abs(frac - p) <= half)) {
            throw new PropertyFailure(
              `dropped ${fmt(frac * 100)} % of units at p = ${fmt(p)} (n = ${n}); expected ${fmt(Math.max(0, p - half) * 100)}–${fmt(Math.min(1, p + half) * 100)} % at false-reject ≤ ${params.falseReject}`,
            );
          }
        });
      },
      {
        seed: ctx.seed,
        numRuns: params.runs,
        examples: params.p.include.map((p) => [p, 1, 2] as [number, number, number]),
        shrink: false,
        metrics: () => ({ smallestSample: smallest, largestSample: largest, widestHalfWidth: widest }),
        passedMessage: () =>
          `${params.runs} runs: drop fraction within ±${fmt(widest)} of p (n = ${smallest === largest ? smallest : `${smallest}–${largest}`}, false-reject ≤ ${params.falseReject})`,
      },
    );
  },
});
