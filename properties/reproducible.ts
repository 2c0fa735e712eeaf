import { z } from 'zod';
import type { OracleValue } from '../src/sandbox/protocol.ts';
import { invoke, returned } from './_call.ts';
import { checkProperty } from './_check.ts';
import { type CaseDraw, callSchema, caseArbitrary, checkCall, describeCall, materialize } from './_inputs.ts';
import { seedArbitrary } from './_params.ts';
import { mismatch } from './_values.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

const EXACT = { abs: 0, rel: 0 };

/** Where the arguments after one call differ from those after another, or null (injected rngs echo as functions). */
function argsMismatch(got: readonly OracleValue[], want: readonly OracleValue[], where: string): string | null {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const g = got[i];
    const w = want[i];
    if (g === undefined || w === undefined) return `${where}, argument ${i} is missing`;
    const m = mismatch(g, w, EXACT, `argument ${i} ${where}`.trim());
    if (m !== null) return m;
  }
  return null;
}

/**
 * All randomness comes from the injected generators: the same arguments (and rng seeds) give the same result
 * even when the sandbox's Math.random stream differs, and, when `varies` is on, a different rng seed gives a
 * different result (so a hidden fixed-seed generator is caught too).
 */
export const reproducible = defineProperty({
  name: 'reproducible',
  summary: 'same arguments and rng seeds → same result, whatever Math.random does; another rng seed → another result',
  params: z.strictObject({
    call: callSchema,
    /**
     * A different injected-rng seed must change the result or an argument's contents, whatever their type (for
     * random functions whose results take many values; not for a random boolean or a small integer).
     */
    varies: z.boolean().default(true),
    runs: z.int().min(1).max(1000).default(10),
  }),
  check(params, issue) {
    checkCall(params.call, issue);
    const hasRng = [...params.call.args, ...(params.call.construct ?? [])].some((a) => a.type === 'rng');
    if (params.varies && !hasRng) issue('`varies` needs an injected generator among the arguments ({ type: rng }); set varies: false for a deterministic function', ['varies']);
  },
  async run(ctx, params) {
    return checkProperty(
      [caseArbitrary(params.call), seedArbitrary, seedArbitrary],
      async (draw: CaseDraw, mathA: number, mathB: number) => {
        const c = materialize(params.call, draw);
        const what = describeCall(params.call, ctx.subject, c);
        await ctx.oracle.reseedMathRandom(mathA);
        const first = await invoke(ctx.oracle, ctx.subject, params.call, c);
        await ctx.oracle.reseedMathRandom(mathB === mathA ? mathB + 1 : mathB);
        const second = await invoke(ctx.oracle, ctx.subject, params.call, c);
        const a = returned(first, what, params.call);
        const b = returned(second, what, params.call);
        const m = mismatch(b.value, a.value, EXACT, 'the result of the second call') ?? argsMismatch(b.argsAfter, a.argsAfter, 'after the second call');
        if (m !== null) throw new PropertyFailure(`called twice with the same rng seeds, ${m}; all randomness must come from the injected generator, not Math.random, for ${what}`);
        if (!params.varies) return;
        const other = await invoke(ctx.oracle, ctx.subject, params.call, materialize(params.call, draw, 1));
        if (!other.ok) throw new PropertyFailure(`with another rng seed, ${other.during} threw ${other.thrown.name}: ${other.thrown.message}, for ${what}`);
        // Whatever the result is (numbers, arrays, nested arrays, strings, nothing at all with the randomness written
        // into an argument), something observable must change with the seed; a fixed result is a fixed seed.
        if (mismatch(other.value, a.value, EXACT, '') === null && argsMismatch(other.argsAfter, a.argsAfter, '') === null) {
          throw new PropertyFailure(`the same result for two different rng seeds; the randomness must come from the injected generator, for ${what}`);
        }
      },
      { seed: ctx.seed, numRuns: params.runs, shrink: true, passedMessage: () => `${params.runs} runs: reproducible from the injected rng${params.varies ? ', and another seed gives another result' : ''}` },
    );
  },
});
