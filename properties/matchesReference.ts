import { z } from 'zod';
import { invoke } from './_call.ts';
import { type CaseDraw, callSchema, caseArbitrary, checkCall, describeCall, materialize } from './_inputs.ts';
import { ReferenceRunner } from './_reference.ts';
import { boundFor, describeBound, describeTolerance, mismatch, toleranceSchema } from './_values.ts';
import { firstDifference } from './_layer.ts';
import { checkProperty, fmt } from './_check.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/**
 * Differential testing: on generated inputs, the submission returns what the task's reference solution returns,
 * within |got − want| ≤ abs + rel·|want| per element. Its arguments must also be left as the reference leaves
 * them (bit for bit where the reference leaves them unchanged, within the tolerance where it writes into them),
 * a returned array must be the same argument the reference returns (in place) or a new array where the reference
 * returns a new one, of the same element type and length (and shape, for arrays with dimensions), and where the
 * reference throws, the submission must throw an error of the same name. The reference runs in its own sandbox;
 * its outputs are cached per input.
 */
export const matchesReference = defineProperty({
  name: 'matches-reference',
  summary: "outputs equal the reference solution's on generated inputs (within abs/rel tolerance)",
  params: z.strictObject({
    call: callSchema,
    tolerance: toleranceSchema(1e-12, 1e-9),
    /** Also compare every argument after the call (catches writing into the caller's arrays). */
    compareArgs: z.boolean().default(true),
    runs: z.int().min(1).max(10_000).default(100),
  }),
  check: (params, issue) => checkCall(params.call, issue),
  async run(ctx, params) {
    if (ctx.reference === undefined) throw new Error("matches-reference needs the task's reference solution in its context");
    const reference = new ReferenceRunner(ctx.reference);
    return await checkProperty(
      [caseArbitrary(params.call)],
      async (draw: CaseDraw) => {
        const c = materialize(params.call, draw);
        const what = describeCall(params.call, ctx.subject, c);
        const want = await reference.run(ctx.subject, params.call, c);
        const got = await invoke(ctx.oracle, ctx.subject, params.call, c);
        if (!want.ok) {
          if (got.ok) throw new PropertyFailure(`returned normally where the reference throws ${want.thrown.name} (${want.thrown.message}), for ${what}`);
          if (got.thrown.name !== want.thrown.name) throw new PropertyFailure(`threw ${got.thrown.name} (${got.thrown.message}) where the reference throws ${want.thrown.name}, for ${what}`);
          return;
        }
        if (!got.ok) throw new PropertyFailure(`${got.during} threw ${got.thrown.name}: ${got.thrown.message}, for ${what}`);
        const bound = boundFor(params.tolerance, c.args);
        const tol = describeBound(bound);
        const m = mismatch(got.value, want.value, bound, 'result');
        if (m !== null) throw new PropertyFailure(`${m} (the reference solution's value; ${tol}), for ${what}`);
        if (want.value.type === 'typed' && got.value.type === 'typed' && got.value.arg !== want.value.arg) {
          const says = (arg: number) => (arg < 0 ? 'a new array' : `argument ${arg} itself (updated in place)`);
          throw new PropertyFailure(`returned ${says(got.value.arg)} where the reference returns ${says(want.value.arg)}, for ${what}`);
        }
        if (params.compareArgs) {
          for (let i = 0; i < want.argsAfter.length; i++) {
            const ga = got.argsAfter[i];
            const wa = want.argsAfter[i]!;
            const before = c.args[i];
            // An argument the reference leaves untouched must stay untouched bit for bit, not merely within the tolerance.
            if (ga !== undefined && before instanceof Float64Array && wa.type === 'typed' && firstDifference(before, wa.value) < 0) {
              const j = ga.type === 'typed' && ga.value.length === before.length ? firstDifference(before, ga.value) : 0;
              if (j >= 0) throw new PropertyFailure(`modified argument ${i}${ga.type === 'typed' && ga.value.length === before.length ? `: element ${j} of ${before.length} changed from ${fmt(before[j]!, 10)} to ${fmt(ga.value[j]!, 10)}` : ''}; the reference leaves it unchanged and the caller's array must not be modified, for ${what}`);
              continue;
            }
            const am = ga === undefined ? `argument ${i} is missing after the call` : mismatch(ga, wa, bound, `argument ${i} after the call`);
            if (am !== null) throw new PropertyFailure(`${am} (as the reference leaves it), for ${what}`);
          }
        }
      },
      {
        seed: ctx.seed,
        numRuns: params.runs,
        shrink: true,
        passedMessage: () => `${params.runs} runs: ${params.call.export ?? ctx.subject} matches the reference solution (${describeTolerance(params.tolerance)})`,
      },
    );
  },
});
