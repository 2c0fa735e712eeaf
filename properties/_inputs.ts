import fc from 'fast-check';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { z } from 'zod';
import type { ElementKind, OracleArg } from '../src/sandbox/protocol.ts';
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

/** The element types of array arguments besides Float64Array (see protocol's ElementsArg). */
export const ELEMENT_KINDS = ['Float32Array', 'Int8Array', 'Uint8Array', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'boolean'] as const satisfies readonly ElementKind[];

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

/**
 * Whether some generated arrays get special values mixed in (after the affine change): exact zeros (−0 where the
 * element was negative), integers, subnormals, repeated values (ties) and the maximum occurring twice. Half the
 * arrays are left as drawn; in the others one element, 1/8, 1/2 or all of them are replaced. A replacement keeps
 * the element's sign, so a non-negative distribution stays non-negative. On by default for continuous
 * distributions: those are the values where hand-written numerics break (division by a zero spread, a tie at
 * the maximum, a subnormal that flushes) and a continuous draw never produces them.
 */
const specials = (on: boolean) => ({ specials: z.boolean().default(on) });

/** A number, or a dimension's drawn size plus a constant (`{ dim: K, plus: -1 }`). */
const bound = z.union([z.number(), z.strictObject({ dim: dimName, plus: z.number().default(0) })]);
export type Bound = z.output<typeof bound>;

/** The value of a bound for the drawn dimensions. */
export function boundValue(b: Bound, dims: Readonly<Record<string, number>>): number {
  return typeof b === 'number' ? b : (dims[b.dim] ?? 0) + b.plus;
}

/** How the elements of an array are distributed (independently). */
export const valuesSchema = z.discriminatedUnion(
  'dist',
  [
    z
      .strictObject({ dist: z.literal('uniform'), min: z.number().default(-1), max: z.number().default(1), ...affine, ...specials(true) })
      .refine((v) => v.min <= v.max, { message: 'min must not exceed max', path: ['max'] }),
    z.strictObject({ dist: z.literal('gaussian'), mean: z.number().default(0), std: z.number().min(0).default(1), ...affine, ...specials(true) }),
    z
      .strictObject({
        dist: z.literal('log-uniform'),
        /** Smallest and largest magnitude; log10 of the magnitude is uniform in between. */
        min: z.number().gt(0),
        max: z.number().gt(0),
        signs: z.enum(['mixed', 'positive', 'negative']).default('mixed'),
        ...affine,
        ...specials(true),
      })
      .refine((v) => v.min <= v.max, { message: 'min must not exceed max', path: ['max'] }),
    z.strictObject({ dist: z.literal('constant'), value: z.number(), ...affine, ...specials(false) }),
    z.strictObject({ dist: z.literal('choice'), values: z.array(z.number()).min(1), ...affine, ...specials(false) }),
    /** Integers uniform in [min, max]; a bound may name a dimension (`{ dim: K, plus: -1 }`: class labels < K). */
    z.strictObject({ dist: z.literal('integers'), min: bound, max: bound, ...specials(false) }),
    /** 0 or 1 with probability `p` of 1 (a boolean mask, as the 0/1 Float64Array the sandbox channel carries). */
    z.strictObject({ dist: z.literal('bernoulli'), p: z.number().min(0).max(1).default(0.5), ...specials(false) }),
  ],
  { error: unknownChoice('distribution') },
).meta({ id: 'Values', description: 'How the elements of an array are distributed (independently), then x = offset + scale·x.' });
export type ValuesSpec = z.output<typeof valuesSchema>;

/** Probability that an optional argument is left out (so the function's default is used); 0: always passed. */
const omit = { omit: z.number().min(0).max(1).default(0) };

/** One argument of a call. */
export const argSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('array'),
      /** Dimensions (names from `dims`, or fixed sizes); the array holds their product, row-major. */
      shape: z.array(z.union([dimName, z.int().min(0)])).min(1),
      values: valuesSchema,
      /**
       * The array's type: Float64Array, another typed array (the values converted as it converts them: integer
       * wrap-around, float32 rounding) or `boolean` (a boolean[], true where the value is non-zero).
       */
      elements: z.enum(['Float64Array', ...ELEMENT_KINDS]).default('Float64Array'),
      ...omit,
    }),
    z
      .strictObject({
        type: z.literal('number'),
        /** A bound may name a dimension: `max: { dim: K, plus: -1 }` draws below K. */
        min: bound,
        max: bound,
        log: z.boolean().default(false),
        integer: z.boolean().default(false),
        /** Values always among the draws (boundaries, the default), each about as often as a drawn value. */
        include: z.array(z.number()).default([]),
        ...omit,
      })
      .refine((a) => typeof a.min !== 'number' || typeof a.max !== 'number' || a.min <= a.max, { message: 'min must not exceed max', path: ['max'] })
      .refine((a) => !a.log || (typeof a.min === 'number' && a.min > 0), { message: 'a log-uniform range needs a numeric min > 0', path: ['min'] }),
    z.strictObject({ type: z.literal('dim'), name: dimName }),
    z.strictObject({ type: z.literal('const'), value: z.union([z.number(), z.boolean(), z.string(), z.null()]), ...omit }),
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
  dims: z
    .record(
      dimName,
      z.strictObject({
        min: z.int().min(0),
        max: z.int().min(0),
        /** Log-uniform (every decade about equally often: 1–9, 10–99, …) unless false. */
        log: z.boolean().default(true),
      }),
    )
    .default({}),
  /** Present for a class: `new Export(...construct)`, then `before` methods, then `method(...args)`. */
  construct: z.array(argSchema).optional(),
  /** Methods called without arguments after construction (e.g. `eval`). */
  before: z.array(name).default([]),
  method: name.optional(),
  args: z.array(argSchema).default([]),
  /** The type every call must return; checked by every property of the library that reads the result. */
  returns: z.enum(['Float64Array', 'number']).optional(),
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
      const bounds = a.type === 'number' ? [a.min, a.max] : a.type === 'array' && a.values.dist === 'integers' ? [a.values.min, a.values.max] : [];
      for (const b of bounds) if (typeof b !== 'number' && call.dims[b.dim] === undefined) issue(`unknown dimension "${b.dim}" in a bound; declare it under dims`, [...at, list, i]);
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
  /** A number whose range depends on the drawn dimensions: where in the range, u ∈ [0, 1). */
  | { readonly kind: 'fraction'; readonly u: number }
  | { readonly kind: 'rng'; readonly seed: number }
  /** An optional argument left out. */
  | { readonly kind: 'omitted' }
  | { readonly kind: 'fixed' };

const seed = fc.noShrink(fc.integer({ min: 0, max: 0x7fffffff }));

function logUniform(r: { min: number; max: number }): fc.Arbitrary<number> {
  if (r.min === r.max) return fc.constant(r.min);
  return fc.double({ min: Math.log10(r.min), max: Math.log10(r.max), noNaN: true }).map((e) => Math.min(r.max, Math.max(r.min, 10 ** e)));
}

/** Steps of a dimension's log scale (fine enough that every size up to 10^6 is reachable within 0.03 %). */
const LOG_STEPS = 1 << 16;

/** Sizes in [min, max]: log-uniform (shrinking towards min) unless `log` is false; 0 is drawn on its own. */
function dimArbitrary(r: { min: number; max: number; log: boolean }): fc.Arbitrary<number> {
  if (!r.log || r.max <= 1 || r.min === r.max) return fc.integer({ min: r.min, max: r.max });
  const lo = Math.max(1, r.min);
  const span = Math.log(r.max / lo);
  const sized = fc.integer({ min: 0, max: LOG_STEPS }).map((k) => Math.min(r.max, Math.max(lo, Math.round(lo * Math.exp((k / LOG_STEPS) * span)))));
  return r.min === 0 ? fc.oneof({ weight: 9, arbitrary: sized }, { weight: 1, arbitrary: fc.constant(0) }) : sized;
}

function numberArbitrary(a: Extract<ArgSpec, { type: 'number' }>): fc.Arbitrary<ArgDraw> {
  let drawn: fc.Arbitrary<ArgDraw>;
  if (typeof a.min === 'number' && typeof a.max === 'number') {
    const r = { min: a.min, max: a.max };
    const lo = Math.ceil(r.min);
    const hi = Math.floor(r.max);
    const value = a.integer
      ? a.log
        ? logUniform(r).map((v) => Math.min(hi, Math.max(lo, Math.round(v))))
        : fc.integer({ min: lo, max: hi })
      : a.log
        ? logUniform(r)
        : fc.double({ min: r.min, max: r.max, noNaN: true, noDefaultInfinity: true });
    drawn = value.map((v): ArgDraw => ({ kind: 'number', value: v }));
  } else drawn = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map((u): ArgDraw => ({ kind: 'fraction', u }));
  if (a.include.length === 0) return drawn;
  const included = fc.constantFrom(...a.include).map((v): ArgDraw => ({ kind: 'number', value: v }));
  return fc.oneof({ weight: 2, arbitrary: drawn }, { weight: a.include.length, arbitrary: included });
}

function argArbitrary(a: ArgSpec): fc.Arbitrary<ArgDraw> {
  const passed = ((): fc.Arbitrary<ArgDraw> => {
    switch (a.type) {
      case 'array': {
        const v = a.values;
        const offset = !('offset' in v) || v.offset === undefined ? fc.constant(0) : fc.double({ min: v.offset.min, max: v.offset.max, noNaN: true });
        const scale = !('scale' in v) || v.scale === undefined ? fc.constant(1) : logUniform(v.scale);
        return fc.record({ kind: fc.constant('array' as const), seed, offset, scale });
      }
      case 'number':
        return numberArbitrary(a);
      case 'rng':
        return fc.record({ kind: fc.constant('rng' as const), seed });
      default:
        return fc.constant({ kind: 'fixed' as const });
    }
  })();
  const omitted = 'omit' in a ? Math.round(a.omit * 100) : 0;
  if (omitted === 0) return passed;
  if (omitted === 100) return fc.constant({ kind: 'omitted' as const });
  return fc.oneof({ weight: 100 - omitted, arbitrary: passed }, { weight: omitted, arbitrary: fc.constant({ kind: 'omitted' as const }) });
}

/** A fast-check arbitrary over the cases of `call`: dimensions shrink towards their minimum. */
export function caseArbitrary(call: CallSpec): fc.Arbitrary<CaseDraw> {
  const dims = fc.record(Object.fromEntries(Object.entries(call.dims).map(([d, r]) => [d, dimArbitrary(r)])));
  return fc.record({
    dims,
    args: fc.tuple(...call.args.map(argArbitrary)),
    construct: fc.tuple(...(call.construct ?? []).map(argArbitrary)),
  });
}

/** Replace some elements by special values (see `specials` in the values schema); `u` is the case's stream. */
function mixSpecials(x: Float64Array, u: () => number): void {
  const n = x.length;
  if (n === 0 || u() < 0.5) return;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[i]! > max) max = x[i]!;
  const mode = Math.floor(u() * 4);
  const rate = mode === 1 ? 0.125 : mode === 2 ? 0.5 : 1;
  const one = mode === 0 ? Math.min(n - 1, Math.floor(u() * n)) : -1;
  for (let i = 0; i < n; i++) {
    if (mode === 0 ? i !== one : u() >= rate) continue;
    const v = x[i]!;
    const negative = v < 0 || Object.is(v, -0);
    switch (Math.floor(u() * 5)) {
      case 0:
        x[i] = negative ? -0 : 0;
        break;
      case 1:
        x[i] = Math.round(v) === 0 && negative ? -0 : Math.round(v);
        break;
      case 2:
        x[i] = (negative ? -1 : 1) * (u() * 2 ** -1022);
        break;
      case 3:
        x[i] = x[Math.min(n - 1, Math.floor(u() * n))]!;
        break;
      default:
        // The maximum again: a tie at the top (the max occurring twice), where argmax-style code goes wrong.
        x[i] = max;
    }
  }
}

/**
 * Sample `n` values of a distribution from xoroshiro128+ seeded with `seed`, then apply offset and scale, then
 * mix in special values (when the distribution's `specials` is on). `dims` resolves bounds that name dimensions.
 */
export function sampleValues(v: ValuesSpec, n: number, seedValue: number, offset = 0, scale = 1, dims: Readonly<Record<string, number>> = {}): Float64Array {
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
    case 'integers': {
      const lo = Math.ceil(boundValue(v.min, dims));
      const hi = Math.floor(boundValue(v.max, dims));
      for (let i = 0; i < n; i++) x[i] = Math.min(hi, lo + Math.floor(u() * (hi - lo + 1)));
      break;
    }
    case 'bernoulli':
      for (let i = 0; i < n; i++) x[i] = u() < v.p ? 1 : 0;
      break;
  }
  if (scale !== 1 || offset !== 0) for (let i = 0; i < n; i++) x[i] = offset + scale * x[i]!;
  if (v.specials === true) mixSpecials(x, u);
  return x;
}

/** The concrete arguments of one case. */
export interface CaseArgs {
  readonly construct: readonly OracleArg[] | undefined;
  readonly args: readonly OracleArg[];
}

const TYPED_ARRAYS = { Float32Array, Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array } as const;

/** `values` as an array of `kind` holds them (integer wrap-around, float32 rounding, truthiness), as float64. */
export function convertElements(kind: ElementKind, values: Float64Array): Float64Array {
  return kind === 'boolean' ? values.map((v) => (v ? 1 : 0)) : Float64Array.from(new TYPED_ARRAYS[kind](values));
}

/** A generated array as the argument of its declared element type. */
export function withElements(kind: ElementKind | 'Float64Array', values: Float64Array): OracleArg {
  return kind === 'Float64Array' ? values : { elements: kind, value: convertElements(kind, values) };
}

function materializeArg(a: ArgSpec, d: ArgDraw | undefined, dims: Readonly<Record<string, number>>, rngShift: number): OracleArg {
  switch (a.type) {
    case 'array': {
      const n = a.shape.reduce<number>((p, s) => p * (typeof s === 'number' ? s : (dims[s] ?? 0)), 1);
      const draw = d?.kind === 'array' ? d : { seed: 0, offset: 0, scale: 1 };
      return withElements(a.elements, sampleValues(a.values, n, draw.seed, draw.offset, draw.scale, dims));
    }
    case 'number': {
      if (d?.kind === 'number') return d.value;
      const lo = boundValue(a.min, dims);
      const hi = Math.max(lo, boundValue(a.max, dims));
      const u = d?.kind === 'fraction' ? d.u : 0;
      if (a.integer) {
        const [l, h] = [Math.ceil(lo), Math.floor(hi)];
        return a.log && l > 0 ? Math.min(h, Math.max(l, Math.round(l * (h / l) ** u))) : Math.min(h, l + Math.floor(u * (h - l + 1)));
      }
      return a.log && lo > 0 ? Math.min(hi, lo * (hi / lo) ** u) : lo + u * (hi - lo);
    }
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
  const list = (specs: readonly ArgSpec[], draws: readonly ArgDraw[]): OracleArg[] => {
    const out = specs.map((a, i) => (draws[i]?.kind === 'omitted' ? undefined : materializeArg(a, draws[i], draw.dims, rngShift)));
    // Omitted arguments at the end are left out altogether (arguments.length as in a call that never wrote them).
    let end = out.length;
    while (end > 0 && draws[end - 1]?.kind === 'omitted') end--;
    return out.slice(0, end);
  };
  return {
    construct: call.construct === undefined ? undefined : list(call.construct, draw.construct),
    args: list(call.args, draw.args),
  };
}

/** A short rendering of an argument for failure messages. */
export function describeArg(a: OracleArg): string {
  if (a instanceof Float64Array) {
    const head = [...a.subarray(0, 4)].map((v) => fmt(v, 6)).join(', ');
    return `Float64Array(${a.length}) [${head}${a.length > 4 ? ', …' : ''}]`;
  }
  if (a !== null && typeof a === 'object' && 'elements' in a) {
    const bool = a.elements === 'boolean';
    const head = [...a.value.subarray(0, 4)].map((v) => (bool ? String(v !== 0) : fmt(v, 6))).join(', ');
    return `${bool ? 'boolean[]' : a.elements}(${a.value.length}) [${head}${a.value.length > 4 ? ', …' : ''}]`;
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
