import { z } from 'zod';
import { sharedSpread } from './_distributions.ts';
import { checkBatched, fmt } from './_check.ts';
import { firstDifference, LayerPlan, layerInterfaceParams } from './_layer.ts';
import { lengthArbitrary, seedArbitrary } from './_params.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/** At p = 0 nothing is dropped and the scale is exactly 1, so training-mode forward() is the identity. */
export const zeroRateIdentity = defineProperty({
  name: 'zero-rate-identity',
  summary: 'with p = 0, forward() in training mode returns its input values unchanged',
  params: z.strictObject({
    ...layerInterfaceParams,
    maxLength: z.int().min(1).max(1_000_000).default(5000),
    runs: z.int().min(1).max(1000).default(10),
  }),
  async run(ctx, params) {
    return checkBatched(
      ctx.oracle,
      'zero-rate-identity',
      [lengthArbitrary(params.maxLength), seedArbitrary, seedArbitrary],
      (n, dataSeed, maskSeed) => {
        const x = sharedSpread(n, dataSeed, 100);
        const plan = new LayerPlan(ctx, params);
        const layer = plan.newLayer(0, maskSeed);
        const out = plan.forward(layer, x, `p = 0, length ${n}`);
        return plan.check((take) => {
          take(layer.made);
          const { y } = take(out);
          const i = firstDifference(x, y);
          if (i >= 0) throw new PropertyFailure(`at p = 0 ${params.method}() changed element ${i} of ${n} from ${fmt(x[i]!, 6)} to ${fmt(y[i]!, 6)}; it must be the identity`);
        });
      },
      { seed: ctx.seed, numRuns: params.runs, examples: [[params.maxLength, 1, 2]], shrink: true, passedMessage: () => `${params.runs} runs: p = 0 is the identity` },
    );
  },
});
