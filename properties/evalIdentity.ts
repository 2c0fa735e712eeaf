import { z } from 'zod';
import { spread } from './_distributions.ts';
import { checkProperty, fmt } from './_check.ts';
import { callVoid, firstDifference, forward, newLayer, readProp } from './_layer.ts';
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
    p: rateRange(0.25, 0.95, [0.5]),
    n: z.int().min(256).max(100_000).default(256),
    runs: z.int().min(1).max(1000).default(10),
  }),
  falseRejectBound: (params) => (params.runs + params.p.include.length) * (1 - params.p.min) ** params.n,
  async run(ctx, params) {
    return checkProperty(
      [rateArbitrary(params.p), seedArbitrary, seedArbitrary],
      async (p, dataSeed, maskSeed) => {
        const x = spread(params.n, dataSeed, 10);
        x[0] = -0;
        const layer = await newLayer(ctx, p, maskSeed);
        const t0 = await readProp(ctx, layer, 'training');
        if (t0.type !== 'boolean' || !t0.value) throw new PropertyFailure('a new layer must start with training === true');
        await callVoid(ctx, layer, 'eval');
        const t1 = await readProp(ctx, layer, 'training');
        if (t1.type !== 'boolean' || t1.value) throw new PropertyFailure('after eval(), training must be false');
        const { y } = await forward(ctx, layer, x, `eval mode, p = ${fmt(p)}`);
        const i = firstDifference(x, y);
        if (i >= 0) throw new PropertyFailure(`in eval mode forward() changed element ${i} from ${fmt(x[i]!, 6)} to ${fmt(y[i]!, 6)} (p = ${fmt(p)}); eval must be the identity`);
        await callVoid(ctx, layer, 'train');
        const t2 = await readProp(ctx, layer, 'training');
        if (t2.type !== 'boolean' || !t2.value) throw new PropertyFailure('after train(), training must be true again');
        const { y: z2 } = await forward(ctx, layer, x, `after train(), p = ${fmt(p)}`);
        if (!z2.some((v) => v === 0)) throw new PropertyFailure(`after train() no unit of ${params.n} was dropped at p = ${fmt(p)}: dropout was not restored`);
      },
      { seed: ctx.seed, numRuns: params.runs, examples: params.p.include.map((p) => [p, 1, 2] as [number, number, number]), shrink: true, passedMessage: () => `${params.runs} runs: eval() is the identity, train() restores dropout` },
    );
  },
});
