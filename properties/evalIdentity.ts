import { z } from 'zod';
import { sharedSpread } from './_distributions.ts';
import { checkBatched, fmt } from './_check.ts';
import { firstDifference, LayerPlan, layerInterfaceParams } from './_layer.ts';
import { rateArbitrary, rateRange, seedArbitrary } from './_params.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/**
 * eval() turns forward() into the identity (values bit for bit) and sets `training` to false; train() turns
 * dropout back on. With n = 256 units at p ≥ 0.25, a correct layer keeps every unit after train() with
 * probability at most 0.75^256 ≈ 1e-32.
 */
export const evalIdentity = defineProperty({
  name: 'eval-identity',
  summary: 'eval() makes forward() the identity and train() restores dropout',
  params: z.strictObject({
    ...layerInterfaceParams,
    p: rateRange(0.25, 0.95, [0.5]),
    n: z.int().min(256).max(100_000).default(256),
    runs: z.int().min(1).max(1000).default(10),
  }),
  falseRejectBound: (params) => (params.runs + params.p.include.length) * (1 - params.p.min) ** params.n,
  async run(ctx, params) {
    return checkBatched(
      ctx.oracle,
      'eval-identity',
      [rateArbitrary(params.p), seedArbitrary, seedArbitrary],
      (p, dataSeed, maskSeed) => {
        // A copy of the shared (cached) input: element 0 becomes −0, which an identity must keep bit for bit.
        const x = sharedSpread(params.n, dataSeed, 10).slice();
        x[0] = -0;
        const plan = new LayerPlan(ctx, params);
        const layer = plan.newLayer(p, maskSeed);
        const t0 = plan.get(layer, 'training');
        const toEval = plan.call(layer, 'eval');
        const t1 = plan.get(layer, 'training');
        const inEval = plan.forward(layer, x, `eval mode, p = ${fmt(p)}`);
        const toTrain = plan.call(layer, 'train');
        const t2 = plan.get(layer, 'training');
        const inTrain = plan.forward(layer, x, `after train(), p = ${fmt(p)}`);
        return plan.check((take) => {
          take(layer.made);
          const v0 = take(t0);
          if (v0.type !== 'boolean' || !v0.value) throw new PropertyFailure('a new layer must start with training === true');
          take(toEval);
          const v1 = take(t1);
          if (v1.type !== 'boolean' || v1.value) throw new PropertyFailure('after eval(), training must be false');
          const { y } = take(inEval);
          const i = firstDifference(x, y);
          if (i >= 0) throw new PropertyFailure(`in eval mode ${params.method}() changed element ${i} from ${fmt(x[i]!, 6)} to ${fmt(y[i]!, 6)} (p = ${fmt(p)}); eval must be the identity`);
          take(toTrain);
          const v2 = take(t2);
          if (v2.type !== 'boolean' || !v2.value) throw new PropertyFailure('after train(), training must be true again');
          const { y: z2 } = take(inTrain);
          if (!z2.some((v) => v === 0)) throw new PropertyFailure(`after train() no unit of ${params.n} was dropped at p = ${fmt(p)}: dropout was not restored`);
        });
      },
      { seed: ctx.seed, numRuns: params.runs, examples: params.p.include.map((p) => [p, 1, 2] as [number, number, number]), shrink: true, passedMessage: () => `${params.runs} runs: eval() is the identity, train() restores dropout` },
    );
  },
});
