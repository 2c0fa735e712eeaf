import { z } from 'zod';
import type { OracleArg } from '../src/sandbox/protocol.ts';
import { argSchema, type ArgSpec, boundValue, type ValuesSpec, valuesSchema, withElements } from './_inputs.ts';
import type { IssueSink } from './PropertyContract.ts';
import { unknownChoice } from './unknownChoice.ts';

/**
 * The sequences of the stateful-sequence property: what YAML may say about them (instances, kept arrays,
 * methods and their arguments, lengths), and the generation of one sequence from a seed, in the trusted parent,
 * as plain steps that are then sent to the child as one batch of requests.
 */

const name = z.string().regex(/^[A-Za-z_$][\w$]*$/, { message: 'use a JavaScript identifier' });
const dimName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'use a JavaScript-style identifier' });
const shape = z.array(z.union([dimName, z.int().min(0)])).min(1);

/** Values JSON cannot carry are named: a YAML list stays editable and schema-checked. */
const special = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity', '-0', 'repeat'])]);
export type Special = z.output<typeof special>;

/** Exact zeros, ±0, integers, subnormals, huge values, NaN and ±Infinity, and repeats of the previous element. */
export const DEFAULT_SPECIALS: readonly Special[] = [
  0, '-0', 1, -1, 2, -3, 7, 1024, 5e-324, -5e-324, 2.2250738585072014e-308, -1e-310, 1e300, -1e300, 1e-300, 'NaN', 'Infinity', '-Infinity', 'repeat', 'repeat',
];

/** An argument of a step: the library's arguments, plus the ones only a sequence has. */
export const seqArgSchema = z.union([
  argSchema,
  z.discriminatedUnion(
    'type',
    [
      /** The array kept for this instance under `name` (the same object in every call, updated in place). */
      z.strictObject({ type: z.literal('kept'), name }),
      /** How many times this method has been called on this instance since it (re)started, this call included: 1, 2, … */
      z.strictObject({ type: z.literal('step') }),
      /**
       * A rigged `() => number` that always returns `value`: with 0 (or 1 − 2^−53) every unit of a dropout layer is
       * on one side of its threshold, so the kept scale at p = 1 − 1e-6 is seen without a million draws.
       */
      z.strictObject({ type: z.literal('constant-rng'), value: z.number().min(0).lt(1) }),
      /** An argument drawn once per instance (e.g. an optimizer's hyperparameters), the same in all its calls. */
      z.strictObject({ type: z.literal('per-instance'), arg: argSchema }),
      /**
       * An array whose elements come from `values`, a random fraction of them (per call, up to `fraction`)
       * replaced by values from `specials`.
       */
      z.strictObject({
        type: z.literal('special-array'),
        shape,
        values: valuesSchema,
        fraction: z.number().min(0).max(1).default(0.3),
        specials: z.array(special).min(1).default([...DEFAULT_SPECIALS]),
      }),
    ],
    { error: unknownChoice('argument type') },
  ),
]);
export type SeqArg = z.output<typeof seqArgSchema>;

const count = z.strictObject({ min: z.int().min(1), max: z.int().min(1) }).refine((r) => r.min <= r.max, { message: 'min must not exceed max' });

export const sequenceSchema = {
  /** Integer dimensions, drawn once per instance: every call on an instance uses the same sizes. */
  dims: z.record(dimName, z.strictObject({ min: z.int().min(0), max: z.int().min(0) })).default({}),
  /** A class subject: the ways to construct an instance; the first instances use each in turn, the others one by weight. */
  construct: z.array(z.strictObject({ weight: z.number().gt(0).default(1), args: z.array(seqArgSchema).default([]) })).min(1).optional(),
  /** Arrays kept in the child per instance; `renew` ones are replaced by fresh arrays when the instance restarts. */
  kept: z.record(name, z.strictObject({ shape, values: valuesSchema, restart: z.enum(['keep', 'renew']).default('renew') })).default({}),
  /** The calls of a sequence, chosen by weight. For a function subject, `name` is the export (default: the subject). */
  methods: z
    .array(
      z.strictObject({
        name: name.optional(),
        weight: z.number().gt(0).default(1),
        args: z.array(seqArgSchema).default([]),
        echo: z.boolean().default(true),
        /**
         * Consecutive calls of this method on one instance go to the child as one request: long runs of cheap
         * calls stay cheap. One argument is a generated array (a fresh one each call); the others are the same in
         * every call on an instance (`dim`, `const`, `per-instance`).
         */
        each: z.boolean().default(false),
        /** With `each`: what every call returns, a Float64Array of its array argument's length or a number. */
        returns: z.enum(['array', 'number']).default('array'),
      }),
    )
    .min(1),
  /** Mean number of consecutive calls on one instance (geometric), before the next instance is picked. */
  segment: z.number().min(1).default(1),
  /** Weight of restarting an instance (renewed kept arrays, step counters back to 1), next to the methods' weights; never the first instance. */
  restartWeight: z.number().min(0).default(0),
  /** Instances per sequence: the first at the start, the others at random points of it. */
  instances: count.prefault({ min: 1, max: 1 }),
  /** Method calls per sequence, log-uniform; the first run is always the longest, with the most instances. */
  calls: count.prefault({ min: 1, max: 1000 }),
  /** Share of the segments that go to the first instance (a long run on one instance); a new instance gets the segment after its creation, the rest are spread evenly. */
  focus: z.number().min(0).max(1).default(0.5),
};

export interface SequenceConfig {
  readonly dims: Readonly<Record<string, { readonly min: number; readonly max: number }>>;
  readonly construct?: readonly { readonly weight: number; readonly args: readonly SeqArg[] }[] | undefined;
  readonly kept: Readonly<Record<string, { readonly shape: readonly (string | number)[]; readonly values: z.output<typeof valuesSchema>; readonly restart: 'keep' | 'renew' }>>;
  readonly methods: readonly {
    readonly name?: string | undefined;
    readonly weight: number;
    readonly args: readonly SeqArg[];
    readonly echo: boolean;
    readonly each: boolean;
    readonly returns: 'array' | 'number';
  }[];
  readonly segment: number;
  readonly restartWeight: number;
  readonly instances: { readonly min: number; readonly max: number };
  readonly calls: { readonly min: number; readonly max: number };
  readonly focus: number;
}

function dimsOf(a: SeqArg): readonly (string | number)[] {
  if (a.type === 'array' || a.type === 'special-array') return a.shape;
  if (a.type === 'dim') return [a.name];
  if (a.type === 'per-instance') return dimsOf(a.arg);
  return [];
}

const MAX_ELEMENTS = 1_000_000;

/** Cross-field checks: dimensions and kept arrays exist, a function subject keeps no `step` ambiguity, sizes stay bounded. */
export function checkSequence(c: SequenceConfig, issue: IssueSink): void {
  for (const [d, r] of Object.entries(c.dims)) if (r.min > r.max) issue(`dimension "${d}": min must not exceed max`, ['dims', d]);
  const size = (dims: readonly (string | number)[], at: (string | number)[]): number => {
    let n = 1;
    for (const d of dims) {
      if (typeof d === 'number') n *= d;
      else if (c.dims[d] === undefined) issue(`unknown dimension "${d}"; declare it under dims`, at);
      else n *= c.dims[d].max;
    }
    return n;
  };
  const checkArgs = (args: readonly SeqArg[], at: (string | number)[]): void =>
    args.forEach((a, i) => {
      if (size(dimsOf(a), [...at, i]) > MAX_ELEMENTS) issue(`arrays of more than ${MAX_ELEMENTS} elements; a sequence's calls must stay cheap`, [...at, i]);
      if (a.type === 'kept' && c.kept[a.name] === undefined) issue(`unknown kept array "${a.name}"; declare it under kept`, [...at, i]);
    });
  c.construct?.forEach((k, i) => checkArgs(k.args, ['construct', i, 'args']));
  c.methods.forEach((m, i) => {
    checkArgs(m.args, ['methods', i, 'args']);
    if (c.construct !== undefined && m.name === undefined) issue('a class subject needs the method `name`', ['methods', i]);
    if (m.each && eachArgument(m.args) < 0) {
      issue('`each` needs one generated array argument (`array` or `special-array`), the others the same in every call (`dim`, `const`, `per-instance`)', ['methods', i, 'each']);
    }
  });
  for (const [k, spec] of Object.entries(c.kept)) if (size(spec.shape, ['kept', k]) > MAX_ELEMENTS) issue(`kept array "${k}" has more than ${MAX_ELEMENTS} elements`, ['kept', k]);
  if (c.instances.max > c.calls.max) issue('more instances than calls: every instance after the first needs a call to be created at', ['instances', 'max']);
}

const FIXED_PER_INSTANCE: ReadonlySet<SeqArg['type']> = new Set(['dim', 'const', 'per-instance']);

/** The index of an `each` method's generated array argument, or -1 when its arguments do not suit `each`. */
export function eachArgument(args: readonly SeqArg[]): number {
  // The generated array travels as float64 in a callEach request: another element type is a call of its own.
  const arrays = args.flatMap((a, i) => ((a.type === 'array' && a.elements === 'Float64Array') || a.type === 'special-array' ? [i] : []));
  if (arrays.length !== 1 || args.some((a, i) => i !== arrays[0] && !FIXED_PER_INSTANCE.has(a.type))) return -1;
  return arrays[0]!;
}

/** One step of a generated sequence. */
type CallStep = Extract<Step, { kind: 'call' }>;

export type Step =
  | {
      readonly kind: 'new';
      readonly instance: number;
      readonly args: readonly OracleArg[];
      readonly kept: Readonly<Record<string, Float64Array>>;
      /** The instance's dimensions, drawn at its creation. */
      readonly dims: Readonly<Record<string, number>>;
    }
  | { readonly kind: 'restart'; readonly instance: number; readonly kept: Readonly<Record<string, Float64Array>> }
  | {
      readonly kind: 'call';
      readonly instance: number;
      readonly method: string;
      /** Which of `methods` (its argument list). */
      readonly alternative: number;
      /**
       * The arguments; a kept array is `{ keptName }`. For `each` calls, the arguments shared by the step's calls,
       * `undefined` at `varying`.
       */
      readonly args: readonly (OracleArg | { readonly keptName: string })[];
      /**
       * `each` calls: `count` consecutive calls of this method on this instance (one step: a sequence of thousands
       * of calls is a few hundred objects), call j given `slice.n` elements of `slice.block` from `slice.at + j·n`
       * as argument `varying`.
       */
      readonly slice: Slice | null;
      readonly varying: number;
      readonly count: number;
      readonly echo: boolean;
      /** 1-based: this (first) call among the sequence's calls, and among this method's calls on this instance. */
      readonly ordinal: number;
      readonly methodOrdinal: number;
    };

/**
 * The sequence's generator: sfc32 (Small Fast Counter), 2^32-resolution uniforms. Sequences draw a few hundred
 * thousand numbers per grade in the parent, where pure-rand's 64-bit generators cost more than the checks.
 */
export class Draw {
  // Plain fields, not #private ones: this is the hot loop of generation.
  private s0: number;
  private s1: number;
  private s2: number;
  private s3 = 1;
  constructor(seed: number) {
    this.s0 = 0x9e3779b9;
    this.s1 = 0x243f6a88;
    this.s2 = seed | 0;
    for (let i = 0; i < 12; i++) this.uniform();
  }
  uniform(): number {
    const t = (((this.s0 + this.s1) | 0) + this.s3) | 0;
    this.s3 = (this.s3 + 1) | 0;
    this.s0 = this.s1 ^ (this.s1 >>> 9);
    this.s1 = (this.s2 + (this.s2 << 3)) | 0;
    this.s2 = (this.s2 << 21) | (this.s2 >>> 11);
    this.s2 = (this.s2 + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.min(max - min, Math.floor(this.uniform() * (max - min + 1)));
  }
  seed(): number {
    return Math.floor(this.uniform() * 0x7fffffff);
  }
  logUniform(min: number, max: number): number {
    return min === max ? min : Math.min(max, Math.max(min, Math.exp(Math.log(min) + (Math.log(max) - Math.log(min)) * this.uniform())));
  }
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let u = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    return weights.length - 1;
  }
}

/** `sampleValues`' distributions into `x[at, at + n)`, drawn from the sequence's own generator (no generator per array). */
function fillValues(v: ValuesSpec, x: Float64Array, at: number, n: number, draw: Draw, dims: Readonly<Record<string, number>> = {}): void {
  const affine = 'offset' in v || 'scale' in v ? v : undefined;
  const offset = affine?.offset === undefined ? 0 : affine.offset.min + (affine.offset.max - affine.offset.min) * draw.uniform();
  const scale = affine?.scale === undefined ? 1 : draw.logUniform(affine.scale.min, affine.scale.max);
  const end = at + n;
  switch (v.dist) {
    case 'uniform':
      for (let i = at; i < end; i++) x[i] = v.min + (v.max - v.min) * draw.uniform();
      break;
    case 'gaussian':
      for (let i = at; i < end; i += 2) {
        const r = Math.sqrt(-2 * Math.log(1 - draw.uniform()));
        const t = 2 * Math.PI * draw.uniform();
        x[i] = v.mean + v.std * r * Math.cos(t);
        if (i + 1 < end) x[i + 1] = v.mean + v.std * r * Math.sin(t);
      }
      break;
    case 'log-uniform':
      for (let i = at; i < end; i++) {
        const mag = draw.logUniform(v.min, v.max);
        x[i] = v.signs === 'negative' || (v.signs === 'mixed' && draw.uniform() < 0.5) ? -mag : mag;
      }
      break;
    case 'constant':
      x.fill(v.value, at, end);
      break;
    case 'choice':
      for (let i = at; i < end; i++) x[i] = v.values[draw.int(0, v.values.length - 1)]!;
      break;
    case 'integers': {
      const lo = Math.ceil(boundValue(v.min, dims));
      const hi = Math.floor(boundValue(v.max, dims));
      for (let i = at; i < end; i++) x[i] = draw.int(lo, hi);
      break;
    }
    case 'bernoulli':
      for (let i = at; i < end; i++) x[i] = draw.uniform() < v.p ? 1 : 0;
      break;
  }
  if (scale !== 1 || offset !== 0) for (let i = at; i < end; i++) x[i] = offset + scale * x[i]!;
}

/** A special array's values into its slice: `values`, then up to `fraction` of them replaced by specials. */
function fillSpecial(a: Extract<SeqArg, { type: 'special-array' }>, slice: Slice, draw: Draw): void {
  const { block, at, n } = slice;
  fillValues(a.values, block, at, n, draw);
  const f = a.fraction * draw.uniform();
  for (let i = at; i < at + n; i++) {
    if (draw.uniform() < f) block[i] = specialValue(a.specials[draw.int(0, a.specials.length - 1)]!, i > at ? block[i - 1]! : 0);
  }
}

function specialValue(s: Special, previous: number): number {
  switch (s) {
    case 'NaN':
      return Number.NaN;
    case 'Infinity':
      return Number.POSITIVE_INFINITY;
    case '-Infinity':
      return Number.NEGATIVE_INFINITY;
    case '-0':
      return -0;
    case 'repeat':
      return previous;
    default:
      return s;
  }
}

function sizeOf(shapeOf: readonly (string | number)[], dims: Readonly<Record<string, number>>): number {
  return shapeOf.reduce<number>((p, s) => p * (typeof s === 'number' ? s : (dims[s] ?? 0)), 1);
}

function materializeArg(a: ArgSpec, draw: Draw, dims: Readonly<Record<string, number>>): OracleArg {
  switch (a.type) {
    case 'array': {
      const x = new Float64Array(sizeOf(a.shape, dims));
      fillValues(a.values, x, 0, x.length, draw, dims);
      return withElements(a.elements, x);
    }
    case 'number': {
      const min = boundValue(a.min, dims);
      const max = boundValue(a.max, dims);
      if (a.integer) return draw.int(Math.ceil(min), Math.floor(max));
      if (a.log) return draw.logUniform(min, max);
      return Math.min(max, min + (max - min) * draw.uniform());
    }
    case 'dim':
      return dims[a.name] ?? 0;
    case 'const':
      return a.value;
    case 'rng':
      return { rng: draw.seed() };
  }
}

interface InstanceState {
  readonly dims: Readonly<Record<string, number>>;
  readonly fixed: Map<SeqArg, OracleArg>;
  steps: Map<number, number>;
}

/**
 * The argument of an `each` call: `n` elements of `block` from `at`. Thousands of small calls share a few large
 * blocks instead of allocating an array each, and the arguments of consecutive calls are adjacent in memory, so a
 * run of calls is sent as one array without a copy.
 */
export interface Slice {
  readonly block: Float64Array;
  readonly at: number;
  readonly n: number;
}

class Arena {
  private block = new Float64Array(0);
  private at = 0;
  take(n: number): Slice {
    if (this.at + n > this.block.length) {
      this.block = new Float64Array(Math.max(n, 1 << 16));
      this.at = 0;
    }
    const slice = { block: this.block, at: this.at, n };
    this.at += n;
    return slice;
  }
}

/** The elements of a slice as an array of their own (for a message, or a call sent on its own). */
export function sliceArray(s: Slice): Float64Array {
  return s.block.slice(s.at, s.at + s.n);
}

/** The sizes of one sequence: how many calls and instances. The first run of a property is the largest. */
export interface SequenceSize {
  readonly seed: number;
  readonly calls: number;
  readonly instances: number;
}

/**
 * Generate one sequence from its seed: instance creations (the first at the start, the others at random calls),
 * restarts, and method calls with their arguments. Everything is materialized here, in the parent.
 */
export function generateSequence(c: SequenceConfig, size: SequenceSize): Step[] {
  const draw = new Draw(size.seed);
  const arena = new Arena();
  // The run of `each` calls being extended (see Step).
  let run: { -readonly [K in keyof CallStep]: CallStep[K] } & { slice: Slice } | null = null;

  const states: InstanceState[] = [];
  const steps: Step[] = [];
  const keptArrays = (st: InstanceState, only: 'all' | 'renew'): Record<string, Float64Array> => {
    const out: Record<string, Float64Array> = {};
    for (const [k, spec] of Object.entries(c.kept)) {
      if (only === 'renew' && spec.restart === 'keep') continue;
      const x = new Float64Array(sizeOf(spec.shape, st.dims));
      fillValues(spec.values, x, 0, x.length, draw, st.dims);
      out[k] = x;
    }
    return out;
  };
  const argOf = (a: SeqArg, st: InstanceState, methodOrdinal: number): OracleArg | { keptName: string } => {
    switch (a.type) {
      case 'kept':
        return { keptName: a.name };
      case 'step':
        return methodOrdinal;
      case 'constant-rng':
        return { rng: 0, constant: a.value };
      case 'per-instance': {
        let v = st.fixed.get(a);
        if (v === undefined && !st.fixed.has(a)) {
          v = materializeArg(a.arg, draw, st.dims);
          st.fixed.set(a, v);
        }
        return v;
      }
      case 'special-array': {
        const slice = arena.take(sizeOf(a.shape, st.dims));
        fillSpecial(a, slice, draw);
        return sliceArray(slice);
      }
      default:
        return materializeArg(a, draw, st.dims);
    }
  };
  const create = (): void => {
    const dims = Object.fromEntries(Object.entries(c.dims).map(([d, r]) => [d, draw.int(r.min, r.max)]));
    const st: InstanceState = { dims, fixed: new Map(), steps: new Map() };
    states.push(st);
    // The first instances are built each way in turn (the first one, which gets the long run, the first way), so
    // that a sequence with as many instances as ways tries every way; the others, by weight.
    const k = c.construct === undefined ? undefined : c.construct[states.length <= c.construct.length ? states.length - 1 : draw.weighted(c.construct.map((x) => x.weight))]!;
    const args = (k?.args ?? []).map((a) => argOf(a, st, 0)).filter((a): a is OracleArg => !(a !== null && typeof a === 'object' && 'keptName' in a));
    steps.push({ kind: 'new', instance: states.length, args, kept: keptArrays(st, 'all'), dims });
    run = null;
  };
  // Calls at which instances 2, 3, … are created (distinct, sorted).
  const births = new Set<number>();
  while (births.size < size.instances - 1) births.add(draw.int(2, Math.max(2, size.calls)));
  create();
  const weights = [...c.methods.map((m) => m.weight), c.restartWeight];
  let ordinal = 0;
  let instance = 1;
  let left = 0;
  // P(a segment goes on after each call): geometric segment lengths with mean `segment`.
  const goOn = 1 - 1 / c.segment;
  while (ordinal < size.calls) {
    if (births.has(ordinal + 1) && states.length < size.instances) {
      births.delete(ordinal + 1);
      create();
      // A new instance gets the next segment: every instance is called, however few the calls off the focus.
      instance = states.length;
      left = 1;
      while (draw.uniform() < goOn && left < 1_000_000) left++;
    }
    if (left === 0) {
      instance = draw.uniform() < c.focus ? 1 : draw.int(1, states.length);
      left = 1;
      while (draw.uniform() < goOn && left < 1_000_000) left++;
    }
    left--;
    const st = states[instance - 1]!;
    const choice = draw.weighted(weights);
    if (choice === c.methods.length) {
      // The first instance keeps its long run: a restart drawn while on it goes to another instance, if any.
      if (states.length === 1) continue;
      const target = instance === 1 ? draw.int(2, states.length) : instance;
      const ts = states[target - 1]!;
      ts.steps = new Map();
      steps.push({ kind: 'restart', instance: target, kept: keptArrays(ts, 'renew') });
      run = null;
      continue;
    }
    const m = c.methods[choice]!;
    const methodOrdinal = (st.steps.get(choice) ?? 0) + 1;
    st.steps.set(choice, methodOrdinal);
    ordinal++;
    if (m.each) {
      // Its generated argument, an array in the arena (checkSequence made sure of the shape of `each` methods).
      const varying = eachArgument(m.args);
      const a = m.args[varying]!;
      const slice = arena.take(a.type === 'array' || a.type === 'special-array' ? sizeOf(a.shape, st.dims) : 0);
      if (a.type === 'special-array') fillSpecial(a, slice, draw);
      else if (a.type === 'array') fillValues(a.values, slice.block, slice.at, slice.n, draw);
      // The next call of a run on this instance, its argument right after the previous one: the same step.
      if (run !== null && slice.n > 0 && run.instance === instance && run.alternative === choice && run.slice.block === slice.block && run.slice.at + run.count * run.slice.n === slice.at && run.slice.n === slice.n) {
        run.count++;
        continue;
      }
      // The other arguments are fixed per instance: the same for every call of the run.
      const args: (OracleArg | { keptName: string })[] = [];
      for (const [j, b] of m.args.entries()) args.push(j === varying ? undefined : argOf(b, st, methodOrdinal));
      run = { kind: 'call', instance, method: m.name ?? '', alternative: choice, args, slice, varying, count: 1, echo: m.echo, ordinal, methodOrdinal };
      steps.push(run);
      continue;
    }
    run = null;
    // Loops, not map(): this runs once per call of a sequence of thousands.
    const args: (OracleArg | { keptName: string })[] = [];
    for (const a of m.args) args.push(argOf(a, st, methodOrdinal));
    steps.push({ kind: 'call', instance, method: m.name ?? '', alternative: choice, args, slice: null, varying: -1, count: 1, echo: m.echo, ordinal, methodOrdinal });
  }
  return steps;
}

/** What a step's reply belongs to, for messages: `call 2,417 (forward() #1,203 on instance 3, after eval() ×2, …)`. */
export class History {
  /** Per instance, calls so far by method alternative (the last slot counts restarts). */
  readonly #counts = new Map<number, Int32Array>();
  readonly #made = new Map<number, string>();
  /** `forward()`, `train()`, … by alternative, then `restart`. */
  readonly #names: readonly string[];

  constructor(names: readonly string[]) {
    this.#names = [...names, 'restart'];
  }

  made(instance: number, description: string): void {
    this.#made.set(instance, description);
    this.#counts.set(instance, new Int32Array(this.#names.length));
  }

  /** `count` calls of method alternative `alternative` on `instance` (a restart: `alternative` = the number of methods). */
  record(instance: number, alternative: number, count = 1): void {
    const m = this.#counts.get(instance);
    if (m !== undefined) m[alternative]! += count;
  }

  /** Before `record`: call `j` (0-based) of the step, and the calls before it on this instance. */
  describe(step: CallStep, label: string, j = 0): string {
    const counts: string[] = [];
    const byName = new Map<string, number>();
    (this.#counts.get(step.instance) ?? []).forEach((n, k) => {
      const all = n + (k === step.alternative ? j : 0);
      if (all > 0) byName.set(this.#names[k]!, (byName.get(this.#names[k]!) ?? 0) + all);
    });
    for (const [k, n] of byName) counts.push(`${k} ×${n.toLocaleString('en-US')}`);
    const made = this.#made.get(step.instance) ?? '';
    const ordinal = (step.ordinal + j).toLocaleString('en-US');
    const methodOrdinal = (step.methodOrdinal + j).toLocaleString('en-US');
    return `call ${ordinal} of the sequence: ${label}() #${methodOrdinal} on instance ${step.instance} (${made})${counts.length > 0 ? `, after ${counts.join(', ')} on it` : ', its first call'}`;
  }
}

