import { z } from 'zod';
import { sharedSpread } from './_distributions.ts';
import { checkBatched, fmt } from './_check.ts';
import { LayerPlan, layerInterfaceParams } from './_layer.ts';
import { lengthArbitrary, rateArbitrary, rateRange, seedArbitrary } from './_params.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/**
 * The exact property behind dropout scaling: in training mode every output is either 0 (dropped) or x·s, with
 * s = (1 − p)^scalePower the same constant for every element, every length and every call. Unlike a moment
 * test, this separates 1/(1−p) from 1/sqrt(1−p) at every p > 0, with no statistical error at all.
 */
export const exactKeptScale = defineProperty({
  name: 'exact-kept-scale',
  summary: 'every kept output equals x·(1−p)^power (one constant for all elements, lengths and calls)',
  params: z.strictObject({
    ...layerInterfaceParams,
    scalePower: z.number().default(-0.5),
    p: rateRange(0, 0.999, [0, 0.05, 0.5, 0.9, 0.95]),
    maxLength: z.int().min(1).max(1_000_000).default(5000),
    relTolerance: z.number().gt(0).max(1e-3).default(1e-9),
    /** Input magnitudes are log-uniform in [10^-e, 10^e]; far from overflow and subnormals for every s. */
    magnitudeExponent: z.number().min(0).max(200).default(100),
    runs: z.int().min(1).max(10_000).default(60),
  }),
  async run(ctx, params) {
    // Every decade of lengths equally often, and maxLength itself in every example (see lengthArbitrary).
    const len = lengthArbitrary(params.maxLength);
    const examples = params.p.include.map((p) => [p, params.maxLength, 1, 1, 2] as [number, number, number, number, number]);
    return checkBatched(
      ctx.oracle,
      'exact-kept-scale',
      [rateArbitrary(params.p), len, len, seedArbitrary, seedArbitrary],
      (p, n1, n2, dataSeed, maskSeed) => {
        const s = (1 - p) ** params.scalePower;
        const plan = new LayerPlan(ctx, params);
        const layer = plan.newLayer(p, maskSeed);
        const calls = ([[1, n1], [2, n2]] as const).map(([call, n]) => {
          const x = sharedSpread(n, dataSeed + call, params.magnitudeExponent);
          return { call, n, x, out: plan.forward(layer, x, `p = ${fmt(p)}, length ${n}, call ${call}`) };
        });
        return plan.check((take) => {
          take(layer.made);
          for (const { call, n, x, out } of calls) {
            const { y } = take(out);
            for (let i = 0; i < n; i++) {
              const yi = y[i]!;
              if (yi === 0) continue;
              const want = x[i]! * s;
              if (!(Math.abs(yi - want) <= params.relTolerance * Math.abs(want))) {
                const got = yi / x[i]!;
                throw new PropertyFailure(
                  `kept outputs are scaled by ${fmt(got, 6)} at p = ${fmt(p, 6)}; (1−p)^${params.scalePower} = ${fmt(s, 6)}` +
                    ` (element ${i} of ${n}, call ${call}: x = ${fmt(x[i]!, 6)}, y = ${fmt(yi, 6)})`,
                );
              }
            }
          }
        });
      },
      {
        seed: ctx.seed,
        numRuns: params.runs,
        examples,
        shrink: true,
        passedMessage: () => `${params.runs} runs: every kept unit equals x·(1−p)^${params.scalePower} (p in [${params.p.min}, ${params.p.max}], lengths 1–${params.maxLength})`,
      },
    );
  },
});
