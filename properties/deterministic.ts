import fc from 'fast-check';
import { z } from 'zod';
import { sharedSpread } from './_distributions.ts';
import { checkBatched, fmt } from './_check.ts';
import { firstDifference, LayerPlan, layerInterfaceParams } from './_layer.ts';
import { rateArbitrary, rateRange, seedArbitrary } from './_params.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/** Largest chance that two independent masks agree everywhere for the "another seed, another mask" check to run. */
const AGREE_BOUND = 1e-12;

/**
 * Same seeds → same outputs, and the mask depends only on the random stream, never on the input values. Both
 * the injected rng and the child's Math.random are re-seeded identically for each pair of runs, so a layer
 * that ignores the injected rng is held to the same standard.
 */
export const deterministic = defineProperty({
  name: 'deterministic',
  summary: 'same seed → same outputs; the dropped positions do not depend on the input values',
  params: z.strictObject({
    ...layerInterfaceParams,
    p: rateRange(0.05, 0.95, [0.5]),
    maxLength: z.int().min(1).max(1_000_000).default(2000),
    runs: z.int().min(1).max(1000).default(8),
  }),
  // Two independent masks agree everywhere with probability (p² + q²)^n; the check below only runs where that
  // is at most AGREE_BOUND, once per run and per example.
  falseRejectBound: (params) => (params.runs + params.p.include.length) * AGREE_BOUND,
  async run(ctx, params) {
    return checkBatched(
      ctx.oracle,
      'deterministic',
      [rateArbitrary(params.p), fc.integer({ min: 1, max: params.maxLength }), seedArbitrary, seedArbitrary, seedArbitrary],
      (p, n, dataSeed, maskSeed, mathSeed) => {
        const x1 = sharedSpread(n, dataSeed, 5);
        const x2 = sharedSpread(n, dataSeed + 1, 5);
        const what = `p = ${fmt(p)}, length ${n}`;
        const plan = new LayerPlan(ctx, params);
        const runOnce = (x: Float64Array) => {
          plan.reseedMathRandom(mathSeed);
          const layer = plan.newLayer(p, maskSeed);
          return { layer, out: plan.forward(layer, x, what) };
        };
        const [ra, rb, rc] = [runOnce(x1), runOnce(x1), runOnce(x2)];
        // A generator of its own with a fixed seed (the original task's hard-coded np.random.seed exploit) gives every
        // new layer the same mask. A fresh layer with another injected seed, Math.random NOT re-seeded, must
        // drop other positions — true both for layers that use the injected rng and for layers that use
        // Math.random (its stream has moved on), which the task accepts.
        const agree = p * p + (1 - p) * (1 - p);
        const other = n * Math.log(agree) <= Math.log(AGREE_BOUND) ? plan.newLayer(p, maskSeed === 0x7fffffff ? 0 : maskSeed + 1) : null;
        const rd = other === null ? null : { layer: other, out: plan.forward(other, x1, what) };
        return plan.check((take) => {
          const output = (r: typeof ra) => {
            take(r.layer.made);
            return take(r.out).y;
          };
          const a = output(ra);
          const b = output(rb);
          const i = firstDifference(a, b);
          if (i >= 0) throw new PropertyFailure(`two runs with the same seeds differ at element ${i} of ${n} (p = ${fmt(p)}): ${fmt(a[i]!, 6)} vs ${fmt(b[i]!, 6)}`);
          const c = output(rc);
          for (let j = 0; j < n; j++) {
            if ((a[j] === 0) !== (c[j] === 0)) {
              throw new PropertyFailure(`with the same seeds, element ${j} of ${n} was ${a[j] === 0 ? 'dropped' : 'kept'} for one input and ${c[j] === 0 ? 'dropped' : 'kept'} for another (p = ${fmt(p)}); the mask must not depend on the input`);
            }
          }
          if (rd === null) return;
          const d = output(rd);
          let same = true;
          for (let j = 0; j < n && same; j++) same = (a[j] === 0) === (d[j] === 0);
          if (same) throw new PropertyFailure(`a new layer with another rng seed dropped exactly the same ${n} positions (p = ${fmt(p)}); the mask must be random, not from a fixed seed`);
        });
      },
      { seed: ctx.seed, numRuns: params.runs, examples: params.p.include.map((p) => [p, params.maxLength, 1, 2, 3] as [number, number, number, number, number]), shrink: true, passedMessage: () => `${params.runs} runs: reproducible, mask independent of input` },
    );
  },
});
