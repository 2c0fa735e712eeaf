import { z } from 'zod';
import { invoke, returned } from './_call.ts';
import { checkProperty } from './_check.ts';
import { type CaseDraw, callSchema, caseArbitrary, checkCall, describeCall, materialize } from './_inputs.ts';
import { nonFinite } from './_values.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/**
 * On finite inputs from the stated (typically extreme: huge, tiny, widely spread) distributions, the call
 * returns normally and every number in its result, and in its array arguments after the call, is finite:
 * no NaN, no ±Infinity (the overflow and 0/0 bugs of naive exp, log and variance code).
 */
export const finiteOnExtremes = defineProperty({
  name: 'finite-on-extremes',
  summary: 'on finite extreme inputs the result has no NaN or Infinity (and the call does not throw)',
  params: z.strictObject({
    call: callSchema,
    runs: z.int().min(1).max(10_000).default(100),
  }),
  check: (params, issue) => checkCall(params.call, issue),
  async run(ctx, params) {
    return checkProperty(
      [caseArbitrary(params.call)],
      async (draw: CaseDraw) => {
        const c = materialize(params.call, draw);
        const what = describeCall(params.call, ctx.subject, c);
        const r = returned(await invoke(ctx.oracle, ctx.subject, params.call, c), what, params.call);
        const m = nonFinite(r.value, 'result') ?? r.argsAfter.reduce<string | null>((found, a, i) => found ?? nonFinite(a, `argument ${i} after the call`), null);
        if (m !== null) throw new PropertyFailure(`${m}; every output must be finite for finite inputs, for ${what}`);
      },
      { seed: ctx.seed, numRuns: params.runs, shrink: true, passedMessage: () => `${params.runs} runs: every output finite` },
    );
  },
});
