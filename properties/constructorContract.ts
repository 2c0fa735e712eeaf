import { z } from 'zod';
import { fmt } from './_check.ts';
import { readProp } from './_layer.ts';
import { type CheckOutcome, defineProperty } from './PropertyContract.ts';

const rate = z.union([z.number(), z.nan()]);

/**
 * The original constructor's contract: valid rates construct, invalid ones throw RangeError, the default rate
 * is kept. Deterministic, so no fast-check here: the listed rates are the whole test.
 */
export const constructorContract = defineProperty({
  name: 'constructor-contract',
  summary: 'valid rates construct, invalid rates throw RangeError, new Subject() uses the default rate',
  params: z.strictObject({
    valid: z.array(rate).default([0, 0.5, 0.999]),
    invalid: z.array(rate).default([-0.1, 1, 1.5, Number.NaN]),
    defaultRate: z.number().min(0).lt(1).default(0.5),
    rateProperty: z.string().default('dropoutRate'),
  }),
  async run(ctx, params): Promise<CheckOutcome> {
    const fail = (message: string): CheckOutcome => ({ passed: false, message, counterexample: { seed: ctx.seed } });
    for (const p of params.valid) {
      const r = await ctx.oracle.construct(ctx.subject, [p, { rng: ctx.seed }]);
      if (!r.ok) return fail(`new ${ctx.subject}(${fmt(p)}) threw ${r.thrown.name}: ${r.thrown.message}; ${fmt(p)} is a valid rate`);
    }
    for (const p of params.invalid) {
      const r = await ctx.oracle.construct(ctx.subject, [p, { rng: ctx.seed }]);
      if (r.ok) return fail(`new ${ctx.subject}(${fmt(p)}) did not throw; rates outside [0, 1) must throw RangeError`);
      if (r.thrown.name !== 'RangeError') return fail(`new ${ctx.subject}(${fmt(p)}) threw ${r.thrown.name}, not RangeError`);
    }
    const d = await ctx.oracle.construct(ctx.subject, []);
    if (!d.ok) return fail(`new ${ctx.subject}() threw ${d.thrown.name}: ${d.thrown.message}; the defaults must construct`);
    const v = await readProp(ctx, d.handle, params.rateProperty).catch((e: Error) => ({ type: 'string' as const, value: e.message }));
    if (v.type !== 'number' || v.value !== params.defaultRate) {
      return fail(`new ${ctx.subject}().${params.rateProperty} is ${v.type === 'number' ? fmt(v.value) : v.type}; the default rate is ${params.defaultRate}`);
    }
    return { passed: true, message: `${params.valid.length} valid and ${params.invalid.length} invalid rates behave as the original; default rate ${params.defaultRate}` };
  },
});
