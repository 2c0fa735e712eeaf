import fc from 'fast-check';
import { z } from 'zod';
import type { OracleArg, OracleValue } from '../src/sandbox/protocol.ts';
import { type CallOutcome, invoke } from './_call.ts';
import { checkProperty, fmt } from './_check.ts';
import { firstDifference } from './_layer.ts';
import { type CaseArgs, type CaseDraw, callSchema, caseArbitrary, checkCall, describeCall, materialize } from './_inputs.ts';
import { seedArbitrary } from './_params.ts';
import { ReferenceRunner } from './_reference.ts';
import { boundFor, describeBound, mapNumbers, mismatch, toleranceSchema } from './_values.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';
import { unknownChoice } from './unknownChoice.ts';

const range = z.strictObject({ min: z.number(), max: z.number() }).refine((r) => r.min <= r.max, { message: 'min must not exceed max' });
const positiveRange = z.strictObject({ min: z.number().gt(0), max: z.number().gt(0) }).refine((r) => r.min <= r.max, { message: 'min must not exceed max' });

/** How the input is changed, and what that must do to the output. */
const transform = z.discriminatedUnion(
  'kind',
  [
    /** Add one constant c to every element of argument `arg`; the output stays the same, or is shifted by c too. */
    z.strictObject({ kind: z.literal('shift'), arg: z.int().min(0), by: range, output: z.enum(['same', 'shifted']).default('same') }),
    /** Multiply argument `arg` by a > 0 (drawn log-uniformly); the output is multiplied by a^power (0: unchanged). */
    z.strictObject({ kind: z.literal('scale'), arg: z.int().min(0), by: positiveRange, power: z.number().default(0) }),
    /** Permute the elements of argument `arg`; the output stays the same, or is permuted the same way. */
    z.strictObject({ kind: z.literal('permute'), arg: z.int().min(0), output: z.enum(['same', 'permuted']).default('permuted') }),
  ],
  { error: unknownChoice('transform') },
);
type Transform = z.output<typeof transform>;

function apply(t: Transform, c: CaseArgs, amount: number, perm: readonly number[]): CaseArgs {
  const args = c.args.map((a, i): OracleArg => {
    if (i !== t.arg) return a;
    if (typeof a === 'number') return t.kind === 'shift' ? a + amount : t.kind === 'scale' ? a * amount : a;
    if (!(a instanceof Float64Array)) return a;
    if (t.kind === 'shift') return a.map((v) => v + amount);
    if (t.kind === 'scale') return a.map((v) => v * amount);
    return Float64Array.from(perm, (j) => a[j]!);
  });
  return { construct: c.construct, args };
}

function permutation(n: number, seed: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** What the transformed call must return, given what the untransformed one returned (null: not an array of the right length). */
function related(t: Transform, base: OracleValue, k: number, perm: readonly number[]): OracleValue | null {
  if (t.kind === 'shift' && t.output === 'shifted') return mapNumbers(base, (v) => v + k);
  if (t.kind === 'scale' && t.power !== 0) return mapNumbers(base, (v) => v * k ** t.power);
  if (t.kind === 'permute' && t.output === 'permuted') {
    if (base.type !== 'typed' || base.value.length !== perm.length) return null;
    const v = base.value;
    return { ...base, value: Float64Array.from(perm, (j) => v[j]!) };
  }
  return base;
}

/**
 * A metamorphic property: transform one argument (shift, scale or permute it) and the output must stay the same
 * or change in the stated way, e.g. softmax(x + c) = softmax(x) and logSumExp(x + c) = logSumExp(x) + c.
 *
 * A submission compared only with itself can remember its previous call and replay it (a memo agrees with
 * itself in either order), so when the task has a reference solution (every loaded task has one) the transformed
 * result is compared with the relation applied to the reference's result on the base input; the transformed
 * input is also called first and every call is a fresh construction for a class. The transformed side is where
 * overflow shows.
 */
export const invariant = defineProperty({
  name: 'invariant',
  summary: 'transforming an input (shift, scale, permute) leaves the output unchanged or changes it as stated',
  params: z.strictObject({
    call: callSchema,
    transform,
    tolerance: toleranceSchema(1e-12, 1e-9),
    runs: z.int().min(1).max(10_000).default(100),
  }),
  check(params, issue) {
    checkCall(params.call, issue);
    const a = params.call.args[params.transform.arg];
    if (a === undefined) issue(`argument ${params.transform.arg} does not exist (the call has ${params.call.args.length})`, ['transform', 'arg']);
    else if (params.transform.kind === 'permute' ? a.type !== 'array' : a.type !== 'array' && a.type !== 'number') {
      issue(`argument ${params.transform.arg} is a ${a.type}; ${params.transform.kind} needs ${params.transform.kind === 'permute' ? 'an array' : 'an array or a number'}`, ['transform', 'arg']);
    }
  },
  async run(ctx, params) {
    const t = params.transform;
    const amount =
      t.kind === 'shift'
        ? fc.double({ min: t.by.min, max: t.by.max, noNaN: true })
        : t.kind === 'scale'
          ? fc.double({ min: Math.log10(t.by.min), max: Math.log10(t.by.max), noNaN: true }).map((e) => 10 ** e)
          : fc.constant(1);
    const reference = ctx.reference === undefined ? undefined : new ReferenceRunner(ctx.reference);
    const relation = t.kind === 'shift' ? (t.output === 'same' ? 'unchanged' : 'shifted by the same amount') : t.kind === 'scale' ? (t.power === 0 ? 'unchanged' : `scaled by the factor^${t.power}`) : t.output === 'same' ? 'unchanged' : 'permuted the same way';
    return await checkProperty(
      [caseArbitrary(params.call), amount, seedArbitrary],
      async (draw: CaseDraw, k: number, permSeed: number) => {
        const c = materialize(params.call, draw);
        const arg = c.args[t.arg];
        const perm = permutation(arg instanceof Float64Array ? arg.length : 0, permSeed);
        const moved = apply(t, c, k, perm);
        const what = describeCall(params.call, ctx.subject, c);
        const how = t.kind === 'shift' ? `adding ${fmt(k, 8)} to argument ${t.arg}` : t.kind === 'scale' ? `multiplying argument ${t.arg} by ${fmt(k, 8)}` : `permuting argument ${t.arg}`;
        const bound = boundFor(params.tolerance, moved.args);
        const tol = describeBound(bound);
        // The transformed call first: nothing the submission remembers from the base call can answer it.
        const after = await invoke(ctx.oracle, ctx.subject, params.call, moved);
        if (!after.ok) throw new PropertyFailure(`after ${how}, ${after.during} threw ${after.thrown.name}: ${after.thrown.message}, for ${what}`);
        const want: CallOutcome | undefined = reference === undefined ? undefined : await reference.run(ctx.subject, params.call, c);
        if (want?.ok === true) {
          // An array argument the reference leaves untouched must come back untouched, at every size generated here too.
          for (let i = 0; i < moved.args.length; i++) {
            const before = c.args[i];
            const wa = want.argsAfter[i];
            const sent = moved.args[i];
            const ga = after.argsAfter[i];
            if (!(before instanceof Float64Array && sent instanceof Float64Array) || wa?.type !== 'typed' || firstDifference(before, wa.value) >= 0) continue;
            const j = ga?.type === 'typed' ? firstDifference(sent, ga.value) : 0;
            if (j >= 0) throw new PropertyFailure(`modified argument ${i} (element ${j} of ${sent.length}); the reference leaves it unchanged and the caller's array must not be modified, for ${what}`);
          }
          const expected = related(t, want.value, k, perm);
          if (expected !== null) {
            const m = mismatch(after.value, expected, bound, 'result');
            if (m !== null) throw new PropertyFailure(`after ${how}, ${m}: the result must be the reference solution's result on the untransformed input, ${relation} (${tol}), for ${what}`);
          }
        }
        const base = await invoke(ctx.oracle, ctx.subject, params.call, c);
        if (!base.ok) throw new PropertyFailure(`${base.during} threw ${base.thrown.name}: ${base.thrown.message}, for ${what}`);
        const expected = related(t, base.value, k, perm);
        if (expected === null) throw new PropertyFailure(`the result is not an array of the input's length, so it cannot be permuted with it, for ${what}`);
        const m = mismatch(after.value, expected, bound, 'result');
        if (m !== null) throw new PropertyFailure(`after ${how}, ${m}: the result must be ${relation} (${tol}), for ${what}`);
      },
      {
        seed: ctx.seed,
        numRuns: params.runs,
        shrink: true,
        passedMessage: () => `${params.runs} runs: ${t.kind} of argument ${t.arg} keeps the result ${relation}${reference === undefined ? '' : ", as the reference solution's"}`,
      },
    );
  },
});
