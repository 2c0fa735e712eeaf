import { z } from 'zod';
import { invoke, returned } from './_call.ts';
import { checkProperty, fmt } from './_check.ts';
import { type CaseDraw, callSchema, caseArbitrary, checkCall, describeCall, materialize } from './_inputs.ts';
import { describeValue, firstDifference } from './_layer.ts';
import { close } from './_values.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/**
 * Under a stated condition, expressed by the call itself (a constant argument such as p = 0, a `before` method
 * such as eval(), a zero gradient), the result equals argument `input`: bit for bit by default, or within a
 * tolerance.
 */
export const identityWhen = defineProperty({
  name: 'identity-when',
  summary: 'under the stated condition the result equals an input (bit for bit unless a tolerance is given)',
  params: z.strictObject({
    call: callSchema,
    /** Which argument the result must equal. */
    input: z.int().min(0).default(0),
    /** Compare within |got − want| ≤ abs + rel·|want| instead of bit for bit. */
    tolerance: z.strictObject({ abs: z.number().min(0).default(0), rel: z.number().min(0).default(0) }).optional(),
    runs: z.int().min(1).max(10_000).default(20),
  }),
  check(params, issue) {
    checkCall(params.call, issue);
    const a = params.call.args[params.input];
    if (a === undefined) issue(`argument ${params.input} does not exist (the call has ${params.call.args.length})`, ['input']);
    else if (a.type !== 'array' && a.type !== 'number' && a.type !== 'dim' && !(a.type === 'const' && typeof a.value === 'number')) issue(`argument ${params.input} is a ${a.type}; the result can only equal an array or a number`, ['input']);
  },
  async run(ctx, params) {
    return checkProperty(
      [caseArbitrary(params.call)],
      async (draw: CaseDraw) => {
        const c = materialize(params.call, draw);
        const what = describeCall(params.call, ctx.subject, c);
        const r = returned(await invoke(ctx.oracle, ctx.subject, params.call, c), what, params.call);
        const x = c.args[params.input];
        const tol = params.tolerance;
        const same = (g: number, w: number) => (tol === undefined ? Object.is(g, w) : close(g, w, tol));
        if (typeof x === 'number') {
          if (r.value.type !== 'number' || !same(r.value.value, x)) throw new PropertyFailure(`returned ${describeValue(r.value)}; it must equal argument ${params.input} (${fmt(x, 10)}), for ${what}`);
          return;
        }
        if (!(x instanceof Float64Array)) return;
        if (r.value.type !== 'typed' || r.value.kind !== 'Float64Array' || r.value.value.length !== x.length) throw new PropertyFailure(`returned ${describeValue(r.value)}; it must equal argument ${params.input}, a Float64Array of length ${x.length}, for ${what}`);
        const y = r.value.value;
        const i = tol === undefined ? firstDifference(x, y) : x.findIndex((v, j) => !same(y[j]!, v));
        if (i >= 0) throw new PropertyFailure(`changed element ${i} of ${x.length} from ${fmt(x[i]!, 10)} to ${fmt(y[i]!, 10)}; here it must be the identity${tol === undefined ? ' (bit for bit)' : ''}, for ${what}`);
      },
      { seed: ctx.seed, numRuns: params.runs, shrink: true, passedMessage: () => `${params.runs} runs: the result equals argument ${params.input}` },
    );
  },
});
