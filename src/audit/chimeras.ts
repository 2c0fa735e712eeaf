/**
 * Chimeras of a task's reference fix and its planted bug: programs that answer like the fix except under a
 * trigger — after the k-th call, from the k-th instance on, after an instance's second eval(), for sizes above or
 * below a threshold, on inputs holding zeros, ties, subnormals or huge values, with an argument left to its
 * default, for a parameter in a narrow band — where they answer wrongly. Each is wrong on inputs the task's
 * properties generate, so each must get reward 0; one that gets reward 1 is a hole in the grader.
 *
 * Generic: built from the task's files and its grader config, with no per-task code (src/audit/_wrap.ts re-declares
 * the subject's exports around the reference and the bug). What a fired trigger does depends on the task: where
 * the properties compare results with the reference (matches-reference, invariant, a stateful sequence checked
 * against the reference) it perturbs the fix's answer by a relative 1e-6; where results are random and only their
 * distribution is checked, it gives the planted bug's answer on the same random draws, or, where that equals the
 * fix's (dropout at p = 0, in eval mode), zeros. Triggers are generated only inside the domain the properties
 * generate (see `domainOf`): a size threshold below the largest size they make, a call count below the calls a
 * grade surely makes, value triggers only for values the generators mix in.
 */
import type { TaskSpec } from '../task/loadTask.ts';
import type { AuditProgram } from './AuditProgram.ts';
import { type Callable, type SubjectFile, subjectFile, wrapSubject } from './_wrap.ts';

type Json = Readonly<Record<string, unknown>>;

export interface Span {
  readonly min: number;
  readonly max: number;
}

/** A number argument's generated range. */
export interface NumberRange extends Span {
  readonly log: boolean;
  readonly integer: boolean;
}

/** What the generators put into arrays, over every property. */
export interface ValueDomain {
  /** Largest magnitude generated (a typical bound: 3σ for a gaussian). */
  max: number;
  zeros: boolean;
  negativeZero: boolean;
  /** Non-zero integers. */
  integers: boolean;
  /** The maximum occurring twice. */
  ties: boolean;
  subnormals: boolean;
  nonFinite: boolean;
}

/**
 * The inputs a grade makes, read from the task's properties (their `call` blocks, stateful sequences, and the
 * `maxLength`/`n` lengths of the dropout properties). Counts are lower bounds: what a grade surely makes.
 */
export interface Domain {
  /** Sizes of calls (the first Float64Array argument's length, else the first number argument). */
  readonly sizes: Span | undefined;
  readonly values: ValueDomain;
  /** Exports and methods called with an optional argument left out; `new` for a constructor. */
  readonly omitted: ReadonlySet<string>;
  /** Some instance is built with no constructor argument at all. */
  readonly defaultConstructed: boolean;
  /** Generated ranges of number arguments, by `target#index` (target `new` for constructor arguments). */
  readonly numbers: ReadonlyMap<string, NumberRange>;
  /** Calls of the subject's exports and methods, in all. */
  readonly calls: number;
  /** Calls per export or method. */
  readonly callsOf: ReadonlyMap<string, number>;
  /** Class methods: calls on one instance (the first instance of a stateful sequence). */
  readonly onOneInstance: ReadonlyMap<string, number>;
  /** Instances built. */
  readonly instances: number;
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const list = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

type Dims = Readonly<Record<string, Span>>;

function dimsOf(v: unknown): Dims {
  const out: Record<string, Span> = {};
  for (const [k, r] of Object.entries(obj(v) ?? {})) {
    const o = obj(r);
    if (o !== undefined) out[k] = { min: num(o.min, 0), max: num(o.max, 0) };
  }
  return out;
}

/** A bound as a number or `{ dim, plus }`, at its smallest and largest. */
function boundSpan(b: unknown, dims: Dims): Span | undefined {
  if (typeof b === 'number') return { min: b, max: b };
  const o = obj(b);
  if (o === undefined || typeof o.dim !== 'string') return undefined;
  const d = dims[o.dim];
  return d === undefined ? undefined : { min: d.min + num(o.plus, 0), max: d.max + num(o.plus, 0) };
}

function shapeSpan(shape: unknown, dims: Dims): Span | undefined {
  let min = 1;
  let max = 1;
  for (const s of list(shape)) {
    const d = typeof s === 'number' ? { min: s, max: s } : typeof s === 'string' ? dims[s] : undefined;
    if (d === undefined) return undefined;
    min *= d.min;
    max *= d.max;
  }
  return { min, max };
}

function valueDomain(v: Json, dims: Dims, into: ValueDomain): void {
  const scale = obj(v.scale);
  const offset = obj(v.offset);
  const s = scale === undefined ? 1 : num(scale.max, 1);
  const off = offset === undefined ? 0 : Math.max(Math.abs(num(offset.min, 0)), Math.abs(num(offset.max, 0)));
  const offNegative = offset !== undefined && num(offset.min, 0) < 0;
  const affine = scale !== undefined || offset !== undefined;
  let mag = 0;
  let negative = offNegative;
  switch (v.dist) {
    case 'uniform':
      mag = Math.max(Math.abs(num(v.min, -1)), Math.abs(num(v.max, 1))) * s + off;
      negative ||= num(v.min, -1) < 0;
      break;
    case 'gaussian':
      mag = (Math.abs(num(v.mean, 0)) + 3 * num(v.std, 1)) * s + off;
      negative = true;
      break;
    case 'log-uniform':
      mag = num(v.max, 1) * s + off;
      negative ||= v.signs !== 'positive';
      break;
    case 'constant':
    case 'choice': {
      const values = v.dist === 'constant' ? [num(v.value, 0)] : list(v.values).map((x) => num(x, 0));
      mag = Math.max(...values.map(Math.abs)) * s + off;
      negative ||= values.some((x) => x < 0);
      into.ties = true;
      if (!affine && values.includes(0)) into.zeros = true;
      if (!affine && values.some((x) => x !== 0 && Number.isInteger(x))) into.integers = true;
      break;
    }
    case 'integers': {
      const lo = boundSpan(v.min, dims)?.min ?? 0;
      const hi = boundSpan(v.max, dims)?.max ?? 0;
      mag = Math.max(Math.abs(lo), Math.abs(hi));
      negative ||= lo < 0;
      into.ties = true;
      if (lo <= 0 && hi >= 0) into.zeros = true;
      if (hi >= 1 || lo <= -1) into.integers = true;
      break;
    }
    case 'bernoulli':
      mag = 1;
      into.ties = true;
      into.zeros = true;
      into.integers = true;
      break;
  }
  into.max = Math.max(into.max, mag);
  if (v.specials === true) {
    // properties/_inputs.ts mixSpecials: zeros (−0 where negative), rounded values, subnormals, repeats, the max twice.
    into.zeros = true;
    into.ties = true;
    into.subnormals = true;
    if (negative) into.negativeZero = true;
    if (mag >= 1) into.integers = true;
  }
}

/** The values a sequence's special-array may hold besides its distribution's. */
function specialsDomain(a: Json, into: ValueDomain): void {
  if (num(a.fraction, 0.3) <= 0) return;
  for (const s of list(a.specials)) {
    if (s === 'NaN' || s === 'Infinity' || s === '-Infinity') into.nonFinite = true;
    else if (s === '-0') into.negativeZero = into.zeros = true;
    else if (s === 'repeat') into.ties = true;
    else if (typeof s === 'number') {
      if (s === 0) into.zeros = true;
      else if (Number.isInteger(s)) into.integers = true;
      else if (Math.abs(s) < 2.2250738585072014e-308) into.subnormals = true;
      into.max = Math.max(into.max, Math.abs(s));
    }
  }
}

/** One way a property calls the subject: the export or method (`new` for a constructor) and its argument specs. */
interface Site {
  readonly target: string;
  readonly args: readonly Json[];
  readonly dims: Dims;
  readonly kept: Json;
}

/** The argument spec under a sequence's `per-instance` wrapper. */
const unwrapArg = (a: Json): Json => (a.type === 'per-instance' ? (obj(a.arg) ?? a) : a);

function isFloatArray(a: Json): boolean {
  return (a.type === 'array' && (a.elements === undefined || a.elements === 'Float64Array')) || a.type === 'special-array' || a.type === 'kept';
}

function siteSize(site: Site): Span | undefined {
  const args = site.args.map(unwrapArg);
  const array = args.find(isFloatArray);
  if (array !== undefined) {
    const shape = array.type === 'kept' ? obj(site.kept[String(array.name)])?.shape : array.shape;
    return shapeSpan(shape, site.dims);
  }
  const first = args.find((a) => a.type === 'dim' || a.type === 'number');
  if (first === undefined) return undefined;
  if (first.type === 'dim') return site.dims[String(first.name)];
  const lo = boundSpan(first.min, site.dims);
  const hi = boundSpan(first.max, site.dims);
  return lo === undefined || hi === undefined ? undefined : { min: lo.min, max: hi.max };
}

/** Calls a share of a sequence's calls surely makes: 90 % of the expected count (thousands of draws concentrate well within it). */
const SURELY = 0.9;

/**
 * The domain of a task's properties. `arity` gives the number of parameters of each export or method (`new`: the
 * constructor), for telling which calls leave an optional argument out.
 */
export function domainOf(spec: TaskSpec, arity: ReadonlyMap<string, number>): Domain {
  const subject = spec.grader.subject.export;
  const sites: Site[] = [];
  const values: ValueDomain = { max: 0, zeros: false, negativeZero: false, integers: false, ties: false, subnormals: false, nonFinite: false };
  const sizes: Span[] = [];
  const omitted = new Set<string>();
  let defaultConstructed = false;
  const callsOf = new Map<string, number>();
  const onOneInstance = new Map<string, number>();
  let instances = 0;
  const count = (map: Map<string, number>, k: string, n: number): void => {
    map.set(k, (map.get(k) ?? 0) + n);
  };
  for (const p of spec.grader.properties) {
    const params = p.params as Json;
    const runs = num(params.runs, 1);
    const call = obj(params.call);
    if (call !== undefined) {
      const dims = dimsOf(call.dims);
      const construct = Array.isArray(call.construct) ? call.construct.map((a) => obj(a) ?? {}) : undefined;
      const target = typeof call.method === 'string' ? call.method : typeof call.export === 'string' ? call.export : subject;
      sites.push({ target, args: list(call.args).map((a) => obj(a) ?? {}), dims, kept: {} });
      if (construct !== undefined) {
        sites.push({ target: 'new', args: construct, dims, kept: {} });
        instances += runs;
      }
      count(callsOf, target, runs * Math.max(1, num(params.minCalls, 1)));
    }
    if (p.use === 'stateful-sequence') {
      const dims = dimsOf(params.dims);
      const kept = obj(params.kept) ?? {};
      const callsSpan = obj(params.calls) ?? {};
      const inst = obj(params.instances) ?? {};
      const calls = num(callsSpan.max, 1) + (runs - 1) * num(callsSpan.min, 1);
      const methods = list(params.methods).map((m) => obj(m) ?? {});
      const total = methods.reduce((s, m) => s + num(m.weight, 1), 0);
      for (const m of methods) {
        const target = typeof m.name === 'string' ? m.name : subject;
        const share = num(m.weight, 1) / total;
        sites.push({ target, args: list(m.args).map((a) => obj(a) ?? {}), dims, kept });
        count(callsOf, target, Math.floor(SURELY * calls * share));
        if (params.construct !== undefined) count(onOneInstance, target, Math.floor(SURELY * num(callsSpan.max, 1) * num(params.focus, 0.5) * share));
      }
      for (const c of list(params.construct)) sites.push({ target: 'new', args: list(obj(c)?.args).map((a) => obj(a) ?? {}), dims, kept });
      if (params.construct !== undefined) instances += num(inst.max, 1) + (runs - 1) * num(inst.min, 1);
      for (const k of Object.values(kept)) {
        const o = obj(k);
        const v = obj(o?.values);
        if (v !== undefined) valueDomain(v, dims, values);
      }
    }
    // The dropout properties state their input lengths as `maxLength` (1 … maxLength) or `n`.
    if (typeof params.maxLength === 'number') sizes.push({ min: 1, max: params.maxLength });
    if (typeof params.n === 'number') sizes.push({ min: params.n, max: params.n });
  }
  const numbers = new Map<string, NumberRange>();
  for (const site of sites) {
    const size = site.target === 'new' ? undefined : siteSize(site);
    if (size !== undefined) sizes.push(size);
    const n = arity.get(site.target);
    if (site.target === 'new' && site.args.length === 0) defaultConstructed = true;
    if (n !== undefined && (site.args.length < n || site.args.some((a) => num(a.omit, 0) > 0))) omitted.add(site.target);
    site.args.forEach((raw, i) => {
      const a = unwrapArg(raw);
      if (a.type === 'array' || a.type === 'special-array') {
        const v = obj(a.values);
        if (v !== undefined) valueDomain(v, site.dims, values);
        if (a.type === 'special-array') specialsDomain(a, values);
      }
      if (a.type === 'number' && typeof a.min === 'number' && typeof a.max === 'number' && a.max > a.min) {
        const key = `${site.target}#${i}`;
        const r: NumberRange = { min: a.min, max: a.max, log: a.log === true, integer: a.integer === true };
        const had = numbers.get(key);
        const width = (x: NumberRange) => (x.log ? Math.log(x.max / x.min) : x.max - x.min);
        if (had === undefined || width(r) > width(had)) numbers.set(key, r);
      }
    });
  }
  const calls = [...callsOf.values()].reduce((s, n) => s + n, 0);
  const span = sizes.length === 0 ? undefined : { min: Math.min(...sizes.map((s) => s.min)), max: Math.max(...sizes.map((s) => s.max)) };
  return { sizes: span, values, omitted, defaultConstructed, numbers, calls, callsOf, onOneInstance, instances };
}

/** A trigger: a condition over the call, as code, and what it means in words ("when n > 64"). */
interface Trigger {
  readonly name: string;
  readonly when: string;
  /**
   * A boolean expression over `m` (the export or method called), `a` (its parameters' values), `given` (how many
   * arguments the caller gave, undefined ones not counted), `s` (the instance's record, classes only), `__calls`, `__n` (calls so far, this
   * one included).
   */
  readonly code: string;
}

/** Call counts after which the after-k triggers fire, where a grade surely makes more calls. */
export const CALL_COUNTS = [50, 2000, 5000, 10_000];
/** Calls of one method on one instance after which a trigger fires. */
export const INSTANCE_CALL_COUNTS = [2, 50, 2000, 5000];
/** Ordinals of the instances from which a trigger fires. */
export const INSTANCE_ORDINALS = [2, 7];
/** The narrow band of a number argument: this stretch of its generated range (log scale for log ranges). */
export const BAND = [0.6, 0.7] as const;
/** The size above which the huge-value trigger fires; used only where the generators reach ten times more. */
export const HUGE = 1e5;

export const shown = (v: number): string => (Number.isInteger(v) && Math.abs(v) < 1e7 ? v.toLocaleString('en-US') : Number(v.toPrecision(6)).toString());
const ARRAYS = (test: string): string => `__arrays(a).some((x) => x.some((v) => ${test}))`;

/** The triggers inside the task's domain. */
function triggers(sub: SubjectFile, d: Domain): Trigger[] {
  const out: Trigger[] = [];
  const cls = sub.classes[0];
  const v = d.values;
  if (cls === undefined) {
    for (const k of CALL_COUNTS) {
      if (k < d.calls) out.push({ name: `after-${k}-calls`, when: `after the first ${shown(k)} calls of the exports (counted across the grade)`, code: `__calls > ${k}` });
    }
  } else {
    const withArgs = cls.methods.filter((m) => m.params.length > 0);
    for (const m of withArgs) {
      const key = JSON.stringify(m.name);
      for (const k of CALL_COUNTS) {
        if (k < (d.callsOf.get(m.name) ?? 0)) out.push({ name: `after-${k}-${m.name}-calls`, when: `after the first ${shown(k)} ${m.name}() calls in all (counted across instances)`, code: `(__n[${key}] ?? 0) > ${k}` });
      }
      for (const k of INSTANCE_CALL_COUNTS) {
        if (k < (d.onOneInstance.get(m.name) ?? 0)) {
          out.push({ name: `after-${k}-${m.name}-calls-on-one-instance`, when: `on an instance's ${m.name}() calls after its first ${shown(k)}`, code: `s !== undefined && (s.n[${key}] ?? 0) > ${k}` });
        }
      }
    }
    for (const k of INSTANCE_ORDINALS) {
      if (k <= d.instances) out.push({ name: `from-instance-${k}`, when: `on the ${k === 2 ? '2nd' : `${k}th`} instance built and every later one`, code: `s !== undefined && s.ordinal >= ${k}` });
    }
    for (const m of cls.methods.filter((x) => x.params.length === 0)) {
      if ((d.onOneInstance.get(m.name) ?? 0) >= 2) {
        out.push({ name: `after-second-${m.name}`, when: `on an instance once ${m.name}() has been called on it twice (its second ${m.name} phase and after)`, code: `s !== undefined && (s.n[${JSON.stringify(m.name)}] ?? 0) >= 2` });
      }
    }
    if (d.defaultConstructed) out.push({ name: 'default-constructed', when: `on instances built with no arguments (new ${cls.name}())`, code: 's !== undefined && s.given === 0' });
    const ctorArity = cls.ctor?.params.length ?? 0;
    if (d.omitted.has('new') && ctorArity > 1) {
      out.push({ name: 'constructor-argument-omitted', when: 'on instances built with some constructor arguments left to their defaults, not all', code: `s !== undefined && s.given > 0 && s.given < ${ctorArity}` });
    }
  }
  if (d.sizes !== undefined) {
    if (d.sizes.max > 64) out.push({ name: 'size-above-64', when: 'when n > 64 (n: the first array argument’s length, or the first number)', code: '__size(a) > 64' });
    if (d.sizes.max > 1024) out.push({ name: 'size-above-1024', when: 'when n > 1,024', code: '__size(a) > 1024' });
    if (d.sizes.min <= 1 && d.sizes.max >= 1) out.push({ name: 'size-1', when: 'when n = 1', code: '__size(a) === 1' });
    if (d.sizes.min <= 8 && d.sizes.max > 8) out.push({ name: 'size-at-most-8', when: 'when 1 ≤ n ≤ 8', code: '__size(a) >= 1 && __size(a) <= 8' });
  }
  if (v.zeros) out.push({ name: 'exact-zero', when: 'when an input array holds an exact zero', code: ARRAYS('v === 0') });
  if (v.negativeZero) out.push({ name: 'negative-zero', when: 'when an input array holds −0', code: ARRAYS('Object.is(v, -0)') });
  if (v.integers) out.push({ name: 'integers', when: 'when an input array holds a non-zero integer', code: ARRAYS('v !== 0 && Number.isInteger(v)') });
  if (v.ties) {
    out.push({
      name: 'tie-at-max',
      when: 'when the largest value of an input array occurs twice',
      code: '__arrays(a).some((x) => { let top = -Infinity; let k = 0; for (const v of x) { if (v > top) { top = v; k = 1; } else if (v === top) k++; } return k > 1; })',
    });
  }
  if (v.subnormals) out.push({ name: 'subnormal', when: 'when an input array holds a subnormal number', code: ARRAYS('v !== 0 && Math.abs(v) < 2.2250738585072014e-308') });
  if (v.max >= 10 * HUGE) out.push({ name: 'huge', when: `when an input array holds a value beyond ±${shown(HUGE)}`, code: ARRAYS(`Math.abs(v) > ${HUGE}`) });
  if (v.nonFinite) out.push({ name: 'non-finite', when: 'when an input array holds NaN or ±Infinity', code: ARRAYS('!Number.isFinite(v)') });
  for (const f of sub.functions) {
    if (d.omitted.has(f.name) && f.params.some((p) => p.optional)) {
      const many = sub.functions.length > 1;
      out.push({
        name: many ? `omitted-argument-${f.name}` : 'omitted-argument',
        when: `when an optional argument${many ? ` of ${f.name}()` : ''} is left to its default`,
        code: `m === ${JSON.stringify(f.name)} && given < ${f.params.length}`,
      });
    }
  }
  out.push(...bands(sub, d));
  return out;
}

/** Narrow-band triggers: one per number argument with a generated range. */
function bands(sub: SubjectFile, d: Domain): Trigger[] {
  const out: Trigger[] = [];
  const owners: { target: string; callable: Callable | undefined; prefix: string }[] = [
    ...sub.functions.map((f) => ({ target: f.name, callable: f, prefix: sub.functions.length > 1 ? `${f.name}.` : '' })),
    ...sub.classes.flatMap((c) => [{ target: 'new', callable: c.ctor, prefix: '' }, ...c.methods.map((m) => ({ target: m.name, callable: m, prefix: `${m.name}.` }))]),
  ];
  for (const o of owners) {
    (o.callable?.params ?? []).forEach((p, i) => {
      const r = d.numbers.get(`${o.target}#${i}`);
      if (r === undefined || p.rest) return;
      let [lo, hi] = r.log && r.min > 0 ? BAND.map((f) => r.min * (r.max / r.min) ** f) : BAND.map((f) => r.min + f * (r.max - r.min));
      if (r.integer) {
        lo = Math.ceil(lo!);
        hi = Math.floor(hi!);
        if (lo > hi) return;
      }
      const name = p.name ?? `argument-${i + 1}`;
      const value = o.target === 'new' ? `s.ctor[${i}]` : `a[${i}]`;
      const guard = o.target === 'new' ? 's !== undefined && ' : `m === ${JSON.stringify(o.target)} && `;
      out.push({
        name: `band-${o.prefix}${name}`,
        when: `when ${o.prefix}${name} ∈ [${shown(lo!)}, ${shown(hi!)}] (a tenth of its generated range ${shown(r.min)} … ${shown(r.max)})`,
        code: `${guard}typeof ${value} === 'number' && ${value} >= ${lo} && ${value} <= ${hi}`,
      });
    });
  }
  return out;
}

/** The effects' helpers: a relative 1e-6 error, comparisons within 1e-9, and the bug's answer with its fallback. */
const EFFECTS = `const __off = (v: number): number => (v === 0 ? 1e-6 : v * (1 + 1e-6));
/** A relative error of 1e-6 in every number returned, in place where the result is an argument updated in place. */
function __perturb(r: any, a: any[]): any {
  if (r instanceof Float64Array) {
    if (a.includes(r)) {
      for (let i = 0; i < r.length; i++) r[i] = __off(r[i]!);
      return r;
    }
    return r.map(__off);
  }
  return typeof r === 'number' ? __off(r) : r;
}
const __near = (x: number, y: number): boolean => x === y || (x !== x && y !== y) || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
function __sameValue(x: any, y: any): boolean {
  if (typeof x === 'number' && typeof y === 'number') return __near(x, y);
  if (ArrayBuffer.isView(x) && ArrayBuffer.isView(y)) {
    const p = x as any;
    const q = y as any;
    if (Object.getPrototypeOf(p) !== Object.getPrototypeOf(q) || p.length !== q.length) return false;
    for (let i = 0; i < p.length; i++) if (!__near(p[i], q[i])) return false;
    return true;
  }
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((e, i) => __sameValue(e, y[i]));
  return x === y;
}
/**
 * Where the bug answers like the fix: zeros, or if the fix's answer is zeros too, the fix's answer perturbed. An
 * argument the fix updated in place gets them in place; one it returned untouched (an identity) is left alone and
 * a new array is returned. \`before\`: the arguments as they were before the call.
 */
function __fallback(r: any, a: any[], before: any[]): any {
  if (r instanceof Float64Array) {
    const k = a.indexOf(r);
    const inPlace = k >= 0 && !__sameValue(before[k], r);
    const z = new Float64Array(r.length);
    const wrong = __sameValue(z, r) ? r.map(__off) : z;
    if (!inPlace) return wrong;
    r.set(wrong);
    return r;
  }
  if (typeof r === 'number') return __near(r, 0) ? __off(r) : 0;
  return r;
}
/**
 * The fix's answer, or when \`fire\`, the bug's on the same arguments and random draws (the bug runs on copies of
 * the arrays; its writes are copied back when its answer is taken). \`both\`: run the bug on every call, so that
 * an instance of it lives through the same calls as the fix's.
 */
function __chimera(fire: boolean, a: any[], ref: (x: any[]) => any, bug: (x: any[]) => any, both: boolean): any {
  if (!fire && !both) return ref(a);
  const before = fire ? __copies(a) : a;
  const c = __copies(a);
  let r: any;
  let b: any;
  let thrown: { e: unknown } | undefined;
  __record();
  try {
    r = ref(a);
    __replay();
    try {
      b = bug(c);
    } catch (e) {
      thrown = { e };
    }
  } finally {
    __untaped();
  }
  if (!fire) return r;
  if (thrown !== undefined) throw thrown.e;
  if (__sameValue(r, b) && a.every((x, i) => __sameValue(x, c[i]))) return __fallback(r, a, before);
  a.forEach((x, i) => {
    if (ArrayBuffer.isView(x) && x !== c[i]) (x as any).set(c[i]);
  });
  const k = c.indexOf(b);
  return k >= 0 && b !== undefined && typeof b === 'object' ? a[k] : b;
}`;

/** What a fired trigger does on this task: perturb where results are compared with the reference, else the bug. */
export function effectOf(spec: TaskSpec): 'perturb' | 'bug' {
  const compared = spec.grader.properties.some((p) => p.use === 'matches-reference' || p.use === 'invariant' || (p.use === 'stateful-sequence' && obj((p.params as Json).check)?.kind === 'reference'));
  return compared ? 'perturb' : 'bug';
}

/**
 * Whether a property that compares with the reference states its tolerance in ulps (the prompt's "accurate to
 * rounding"): only there is an answer 2,000 ulps off wrong. A tolerance of 1e-9 relative accepts it, as it accepts
 * the differences between correct spellings of the formula.
 */
export function toleranceInUlps(spec: TaskSpec): boolean {
  return spec.grader.properties.some((p) => {
    const params = p.params as Json;
    const tolerance = obj(params.tolerance) ?? obj(obj(params.check)?.tolerance);
    return tolerance !== undefined && typeof tolerance.ulps === 'number';
  });
}

/** Parameters per export and method (`new`: the constructor), for the domain's omitted arguments. */
function arities(sub: SubjectFile): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of sub.functions) out.set(f.name, f.params.length);
  for (const c of sub.classes) {
    out.set('new', c.ctor?.params.length ?? 0);
    for (const m of c.methods) out.set(m.name, m.params.length);
  }
  return out;
}

/**
 * The chimeras of a task's reference fix and planted bug (kind `chimera`), plus the generic wrong fixes of the
 * red team's other families built the same way: off by 2,000 ulps (where a tolerance is stated in ulps), a Float32Array or a plain array where the contract is a Float64Array, in place where the fix returns
 * a new array or the reverse (for long inputs), and — where a property compares a submission with itself — a memo
 * that answers a shifted input with the previous answer. Names are unique; `why` says what each does.
 */
export function chimeras(spec: TaskSpec): AuditProgram[] {
  const sub = subjectFile(spec);
  const domain = domainOf(spec, arities(sub));
  const effect = effectOf(spec);
  const file = sub.path;
  const program = (name: string, why: string, dispatch: string, extra = ''): AuditProgram => ({
    kind: 'chimera',
    name,
    why,
    files: new Map([[file, wrapSubject(sub, { title: `chimera ${name}: ${why}`, prelude: `${EFFECTS}\n${extra}\nfunction __dispatch(m: string, a: any[], given: number, ref: (x: any[]) => any, bug: (x: any[]) => any, s: __Inst | undefined): any {\n  void m; void given; void s; void bug;\n${dispatch}\n}` })]]),
  });
  const out: AuditProgram[] = [];
  const stateful = sub.classes.length > 0;
  for (const t of triggers(sub, domain)) {
    const why =
      effect === 'perturb'
        ? `the fix's answer off by a relative 1e-6 ${t.when}; the fix otherwise`
        : `the planted bug's answer (zeros where it equals the fix's) ${t.when}; the fix otherwise`;
    const dispatch = effect === 'perturb' ? `  const fire = ${t.code};\n  const r = ref(a);\n  return fire ? __perturb(r, a) : r;` : `  return __chimera(${t.code}, a, ref, bug, ${stateful});`;
    out.push(program(t.name, why, dispatch));
  }
  const returnsArrays = [...sub.functions, ...sub.classes.flatMap((c) => c.methods)].some((f) => f.returns.includes('Float64Array'));
  const takesArrays = [...sub.functions, ...sub.classes.flatMap((c) => c.methods)].some((f) => f.params.some((p) => p.type.includes('Float64Array')));
  if (effect === 'perturb' && toleranceInUlps(spec)) {
    out.push(
      program(
        '2000-ulps',
        'every result 2,000 ulps off (relative 4.4e-13): "accurate to rounding" refuses it',
        '  const r = ref(a);\n  const k = 1 + 2000 * Number.EPSILON;\n  if (r instanceof Float64Array) {\n    if (a.includes(r)) {\n      for (let i = 0; i < r.length; i++) r[i] *= k;\n      return r;\n    }\n    return r.map((v) => v * k);\n  }\n  return typeof r === "number" ? r * k : r;',
      ),
    );
  }
  if (returnsArrays) {
    out.push(program('float32-result', 'the fix, but it returns a Float32Array where the contract is a Float64Array', '  const r = ref(a);\n  return r instanceof Float64Array ? Float32Array.from(r) : r;'));
    out.push(program('plain-array-result', 'the fix, but it returns a plain array where the contract is a Float64Array', '  const r = ref(a);\n  return r instanceof Float64Array ? Array.from(r) : r;'));
  }
  if (takesArrays && domain.sizes !== undefined && domain.sizes.max > 64) {
    out.push(
      program(
        'in-place-flip-above-64',
        'the fix, but for n > 64 it updates copies where the fix updates its arguments in place, or writes its result into its first argument where the fix returns a new array',
        '  if (__size(a) <= 64) return ref(a);\n  const c = __copies(a);\n  const r = ref(c);\n  if (c.includes(r)) return r;\n  const x = a[0];\n  if (x instanceof Float64Array && r instanceof Float64Array && r.length === x.length) {\n    x.set(r);\n    return x;\n  }\n  return r;',
      ),
    );
  }
  if (spec.grader.properties.some((p) => p.use === 'invariant')) {
    out.push(
      program(
        'memo-shifted-input',
        'the planted bug, but an input that is the previous one shifted by a constant gets the previous answer (shifted, for a number)',
        `  const x = a[0];
  if (x instanceof Float64Array && __prev !== undefined && __prev.m === m && __prev.x.length === x.length && x.length > 1) {
    const c = x[0]! - __prev.x[0]!;
    let same = true;
    for (let i = 1; i < x.length; i++) if (Math.abs(x[i]! - __prev.x[i]! - c) > 1e-6 * (Math.abs(c) + 1)) same = false;
    if (same) return typeof __prev.y === 'number' ? __prev.y + c : __prev.y;
  }
  const r = bug(a);
  if (x instanceof Float64Array) __prev = { m, x: x.slice(), y: r instanceof Float64Array ? r.slice() : r };
  return r;`,
        'let __prev: { m: string; x: Float64Array; y: unknown } | undefined;',
      ),
    );
  }
  return out;
}
