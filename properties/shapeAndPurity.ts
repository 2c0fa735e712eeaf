import fc from 'fast-check';
import { z } from 'zod';
import { sharedSpread } from './_distributions.ts';
import { checkBatched, fmt } from './_check.ts';
import { firstDifference, LayerPlan, layerInterfaceParams } from './_layer.ts';
import { rateArbitrary, rateRange, seedArbitrary } from './_params.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/**
 * In training mode forward() returns a new Float64Array of the input's length and never writes into its input
 * (the input is sent back after the call and compared bit for bit in the parent).
 */
export const shapeAndPurity = defineProperty({
  name: 'shape-and-purity',
  summary: 'training-mode forward() returns a new Float64Array of the same length and leaves its input untouched',
  params: z.strictObject({
    ...layerInterfaceParams,
    p: rateRange(0, 0.95, [0, 0.5]),
    maxLength: z.int().min(1).max(1_000_000).default(2000),
    runs: z.int().min(1).max(1000).default(10),
  }),
  async run(ctx, params) {
    return checkBatched(
      ctx.oracle,
      'shape-and-purity',
      [rateArbitrary(params.p), fc.integer({ min: 0, max: params.maxLength }), seedArbitrary, seedArbitrary],
      (p, n, dataSeed, maskSeed) => {
        const x = sharedSpread(n, dataSeed, 5);
        const plan = new LayerPlan(ctx, params);
        const layer = plan.newLayer(p, maskSeed);
        const out = plan.forward(layer, x, `p = ${fmt(p)}, length ${n}`, true);
        return plan.check((take) => {
          take(layer.made);
          const { returnedInput, inputAfter } = take(out);
          if (returnedInput) throw new PropertyFailure(`in training mode ${params.method}() returned its input array instead of a new one (p = ${fmt(p)}, length ${n})`);
          const i = firstDifference(x, inputAfter!);
          if (i >= 0) throw new PropertyFailure(`${params.method}() modified its input: element ${i} of ${n} changed from ${fmt(x[i]!, 6)} to ${fmt(inputAfter![i]!, 6)} (p = ${fmt(p)})`);
        });
      },
      { seed: ctx.seed, numRuns: params.runs, examples: params.p.include.map((p) => [p, 1, 1, 2] as [number, number, number, number]), shrink: true, passedMessage: () => `${params.runs} runs: a new Float64Array of the same length, input untouched` },
    );
  },
});
