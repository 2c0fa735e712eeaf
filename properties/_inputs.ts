import fc from 'fast-check';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { z } from 'zod';
import type { OracleArg } from '../src/sandbox/protocol.ts';
import { fmt } from './_check.ts';
import type { IssueSink } from './PropertyContract.ts';
import { unknownChoice } from './unknownChoice.ts';

/**
 * The declarative input language of the generic properties: what to call (a function export, or a class
 * constructed and then a method) and how to generate its arguments (shapes from named dimensions, value
 * distributions, numeric ranges, constants, injected random generators). Everything is plain data in YAML;
 * every case is generated in the trusted parent from a fast-check draw, so a failure is reproducible from
 * its seed and shrinks towards small dimensions.
 */

const name = z.string().regex(/^[A-Za-z_$][\w$]*$/, { message: 'use a JavaScript identifier' });
const dimName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'use a JavaScript-style identifier' });

const range = z
  .strictObject({ min: z.number(), max: z.number() })
  .refine((r) => r.min <= r.max, { message: 'min must not exceed max' });
const positiveRange = z
  .strictObject({ min: z.number().gt(0), max: z.number().gt(0) })
  .refine((r) => r.min <= r.max, { message: 'min must not exceed max' });

/** Per-case random affine change shared by every element of one array: x = offset + scale·z. */
const affine = {
  /** Added to every element; drawn uniformly per generated case. */
  offset: range.optional(),
  /** Multiplies every element (before the offset); drawn log-uniformly per generated case. */
  scale: positiveRange.optional(),
};

/** How the elements of an array are distributed (independently). */
export const valuesSchema = z.discriminatedUnion(
  'dist',
  [
    z
      .strictObject({ dist: z.literal('uniform'), min: z.number().default(-1), max: z.number().default(1), ...affine })
      .refine((v) => v.min <= v.max, { message: 'min must not exceed max', path: ['max'] }),
    z.strictObject({ dist: z.literal('gaussian'), mean: z.number().default(0), std: z.number().min(0).default(1), ...affine }),
    z
      .strictObject({
        dist: z.literal('log-uniform'),
        /** Smallest and largest magnitude; log10 of the magnitude is uniform in between. */
        min: z.number().gt(0),
        max: z.number().gt(0),
        signs: z.enum(['mixed', 'positive', 'negative']).default('mixed'),
        ...affine,
      })
      .refine((v) => v.min <= v.max, { message: 'min must not exceed max', path: ['max'] }),
    z.strictObject({ dist: z.literal('constant'), value: z.number(), ...affine }),
    z.strictObject({ dist: z.literal('choice'), values: z.array(z.number()).min(1), ...affine }),
  ],
  { error: unknownChoice('distribution') },
).meta({ id: 'Values', description: 'How the elements of an array are distributed (independently), then x = offset + scale·x.' });
export type ValuesSpec = z.output<typeof valuesSchema>;

/** One argument of a call. */
export const argSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('array'),
      /** Dimensions (names from `dims`, or fixed sizes); the Float64Array holds their product, row-major. */
      shape: z.array(z.union([dimName, z.int().min(0)])).min(1),
      values: valuesSchema,
    }),
    z
      .strictObject({ type: z.literal('number'), min: z.number(), max: z.number(), log: z.boolean().default(false), integer: z.boolean().default(false) })
      .refine((a) => a.min <= a.max, { message: 'min must not exceed max', path: ['max'] })
      .refine((a) => !a.log || a.min > 0, { message: 'a log-uniform range needs min > 0', path: ['min'] }),
    z.strictObject({ type: z.literal('dim'), name: dimName }),
    z.strictObject({ type: z.literal('const'), value: z.union([z.number(), z.boolean(), z.string(), z.null()]) }),
    /** A seeded `() => number` uniform in [0, 1), created inside the sandbox. */
    z.strictObject({ type: z.literal('rng') }),
  ],
  { error: unknownChoice('argument type') },
).meta({ id: 'Arg', description: 'One argument: a generated array, a number from a range, a dimension, a constant, or an injected rng.' });
export type ArgSpec = z.output<typeof argSchema>;

const MAX_ELEMENTS = 20_000_000;

/** What to call and how to generate its inputs. */
export const callSchema = z.strictObject({
  /** The export to call or construct (default: the task's `grader.subject.export`). */
  export: name.optional(),
  /** Integer dimensions drawn per case, shared by every argument that names them. */
  dims: z.record(dimName, z.strictObject({ min: z.int().min(0), max: z.int().min(0) })).default({}),
  /** Present for a class: `new Export(...construct)`, then `before` methods, then `method(...args)`. */
  construct: z.array(argSchema).optional(),
  /** Methods called without arguments after construction (e.g. `eval`). */
  before: z.array(name).default([]),
  method: name.optional(),
  args: z.array(argSchema).default([]),
}).meta({ id: 'Call', description: 'What to call (a function export, or a class: construct, before methods, method) and how to generate its arguments.' });
export type CallSpec = z.output<typeof callSchema>;

/** Cross-field checks of a call: dimensions exist and are ordered, class calls name a method, arrays stay bounded. */
export function checkCall(call: CallSpec, issue: IssueSink, at: readonly (string | number)[] = ['call']): void {
  for (const [d, r] of Object.entries(call.dims)) if (r.min > r.max) issue(`dimension "${d}": min must not exceed max`, [...at, 'dims', d]);
  if ((call.construct === undefined) !== (call.method === undefined)) {
    issue(call.method === undefined ? 'a class call needs `method` (the method to call after `construct`)' : '`method` needs `construct` (the constructor arguments, [] for none)', at);
  }
  if (call.construct === undefined && call.before.length > 0) issue('`before` needs a class call (`construct` and `method`)', [...at, 'before']);
  const lists: [string, ArgSpec[]][] = [['args', call.args], ['construct', call.construct ?? []]];
  for (const [list, args] of lists) {
    args.forEach((a, i) => {
      const dimsUsed = a.type === 'array' ? a.shape : a.type === 'dim' ? [a.name] : [];
      let size = 1;
      for (const d of dimsUsed) {
        if (typeof d === 'number') size *= d;
        else if (call.dims[d] === undefined) issue(`unknown dimension "${d}"; declare it under dims`, [...at, list, i]);
        else size *= call.dims[d].max;
      }
      if (a.type === 'array' && size > MAX_ELEMENTS) issue(`arrays of up to ${size} elements; at most ${MAX_ELEMENTS} are allowed`, [...at, list, i]);
    });
  }
}

/** The random part of one generated case: dimension sizes and, per argument, what was drawn for it. */
export interface CaseDraw {
  readonly dims: Readonly<Record<string, number>>;
  readonly args: readonly ArgDraw[];
  readonly construct: readonly ArgDraw[];
}
export type ArgDraw =
  | { readonly kind: 'array'; readonly seed: number; readonly offset: number; readonly scale: number }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'rng'; readonly seed: number }
  | { readonly kind: 'fixed' };

const seed = fc.noShrink(fc.integer({ min: 0, max: 0x7fffffff }));

function logUniform(r: { min: number; max: number }): fc.Arbitrary<number> {
  if (r.min === r.max) return fc.constant(r.min);
  return fc.double({ min: Math.log10(r.min), max: Math.log10(r.max), noNaN: true }).map((e) => Math.min(r.max, Math.max(r.min, 10 ** e)));
}

function argArbitrary(a: ArgSpec): fc.Arbitrary<ArgDraw> {
  switch (a.type) {
    case 'array': {
      const offset = a.values.offset === undefined ? fc.constant(0) : fc.double({ min: a.values.offset.min, max: a.values.offset.max, noNaN: true });
      const scale = a.values.scale === undefined ? fc.constant(1) : logUniform(a.values.scale);
      return fc.record({ kind: fc.constant('array' as const), seed, offset, scale });
    }
    case 'number': {
      const value = a.integer
        ? fc.integer({ min: Math.ceil(a.min), max: Math.floor(a.max) })
        : a.log
          ? logUniform(a)
          : fc.double({ min: a.min, max: a.max, noNaN: true, noDefaultInfinity: true });
      return fc.record({ kind: fc.constant('number' as const), value });
    }
    case 'rng':
      return fc.record({ kind: fc.constant('rng' as const), seed });
    default:
      return fc.constant({ kind: 'fixed' as const });
  }
}

/** A fast-check arbitrary over the cases of `call`: dimensions shrink towards their minimum. */
export function caseArbitrary(call: CallSpec): fc.Arbitrary<CaseDraw> {
  const dims = fc.record(Object.fromEntries(Object.entries(call.dims).map(([d, r]) => [d, fc.integer({ min: r.min, max: r.max })])));
  return fc.record({
    dims,
    args: fc.tuple(...call.args.map(argArbitrary)),
    construct: fc.tuple(...(call.construct ?? []).map(argArbitrary)),
  });
}

/** Sample `n` values of a distribution from xoroshiro128+ seeded with `seed`, then apply offset and scale. */
export function sampleValues(v: ValuesSpec, n: number, seedValue: number, offset = 0, scale = 1): Float64Array {
  const rng = xoroshiro128plus(seedValue | 0);
  const u = () => uniformFloat64(rng);
  const x = new Float64Array(n);
  switch (v.dist) {
    case 'uniform':
      for (let i = 0; i < n; i++) x[i] = v.min + (v.max - v.min) * u();
      break;
    case 'gaussian':
      for (let i = 0; i < n; i += 2) {
        const r = Math.sqrt(-2 * Math.log(1 - u()));
        const t = 2 * Math.PI * u();
        x[i] = v.mean + v.std * r * Math.cos(t);
        if (i + 1 < n) x[i + 1] = v.mean + v.std * r * Math.sin(t);
      }
      break;
    case 'log-uniform': {
      const lo = Math.log(v.min);
      const hi = Math.log(v.max);
      for (let i = 0; i < n; i++) {
        const mag = Math.min(v.max, Math.max(v.min, Math.exp(lo + (hi - lo) * u())));
        const negative = v.signs === 'negative' || (v.signs === 'mixed' && u() < 0.5);
        x[i] = negative ? -mag : mag;
      }
      break;
    }
    case 'constant':
      x.fill(v.value);
      break;
    case 'choice':
      for (let i = 0; i < n; i++) x[i] = v.values[Math.min(v.values.length - 1, Math.floor(u() * v.values.length))]!;
      break;
  }
  if (scale !== 1 || offset !== 0) for (let i = 0; i < n; i++) x[i] = offset + scale * x[i]!;
  return x;
}

/** The concrete arguments of one case. */
export interface CaseArgs {
  readonly construct: readonly OracleArg[] | undefined;
  readonly args: readonly OracleArg[];
}

function materializeArg(a: ArgSpec, d: ArgDraw | undefined, dims: Readonly<Record<string, number>>, rngShift: number): OracleArg {
  switch (a.type) {
    case 'array': {
      const n = a.shape.reduce<number>((p, s) => p * (typeof s === 'number' ? s : (dims[s] ?? 0)), 1);
      const draw = d?.kind === 'array' ? d : { seed: 0, offset: 0, scale: 1 };
      return sampleValues(a.values, n, draw.seed, draw.offset, draw.scale);
    }
    case 'number':
      return d?.kind === 'number' ? d.value : a.min;
    case 'dim':
      return dims[a.name] ?? 0;
    case 'const':
      return a.value;
    case 'rng':
      return { rng: ((d?.kind === 'rng' ? d.seed : 0) + rngShift * 0x9e3779b1) & 0x7fffffff };
  }
}

/**
 * The arguments of a case. `rngShift` gives every injected generator a different stream with everything else
 * equal (repeated draws of a random function).
 */
export function materialize(call: CallSpec, draw: CaseDraw, rngShift = 0): CaseArgs {
  return {
    construct: call.construct?.map((a, i) => materializeArg(a, draw.construct[i], draw.dims, rngShift)),
    args: call.args.map((a, i) => materializeArg(a, draw.args[i], draw.dims, rngShift)),
  };
}

/** A short rendering of an argument for failure messages. */
export function describeArg(a: OracleArg): string {
  if (a instanceof Float64Array) {
    const head = [...a.subarray(0, 4)].map((v) => fmt(v, 6)).join(', ');
    return `Float64Array(${a.length}) [${head}${a.length > 4 ? ', …' : ''}]`;
  }
  if (a === null) return 'null';
  if (a === undefined) return 'undefined';
  if (typeof a === 'object') return 'rng';
  if (typeof a === 'number') return fmt(a, 6);
  return JSON.stringify(a);
}

/** `name(args)` for messages, e.g. `softmax(Float64Array(3) [1, 2, 3])`. */
export function describeCall(call: CallSpec, subject: string, c: CaseArgs): string {
  const target = call.export ?? subject;
  const args = c.args.map(describeArg).join(', ');
  if (call.construct === undefined) return `${target}(${args})`;
  const before = call.before.map((m) => `.${m}()`).join('');
  return `new ${target}(${(c.construct ?? []).map(describeArg).join(', ')})${before}.${call.method ?? '?'}(${args})`;
}
