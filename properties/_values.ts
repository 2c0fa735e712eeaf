import { z } from 'zod';
import type { OracleValue } from '../src/sandbox/protocol.ts';
import { fmt } from './_check.ts';
import { describeValue, sameShape, shapeText } from './_layer.ts';

/** The spacing of the doubles at |x| (2^-1074 for zero and subnormals; Infinity for non-finite x). */
export function ulp(x: number): number {
  if (!Number.isFinite(x)) return Infinity;
  const a = Math.abs(x);
  if (a < 2 ** -1022) return 2 ** -1074;
  let e = Math.floor(Math.log2(a));
  // log2 can be off by one next to a power of two: correct it exactly.
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return 2 ** (e - 52);
}

/** The machine epsilon, 2^-52: the spacing of the doubles at 1. */
export const EPSILON = 2 ** -52;

/**
 * How far a result may be from the expected one:
 *   |got − want| ≤ abs + rel·|want| + ulps·ulp(want) + input.ulps·ε·(max|x| + length(x))·(|want| if relative)
 * where x is argument `input.arg` of the call and ε = 2^-52. `ulps` is the prompt's "accurate to rounding";
 * `input` allows for the rounding error that a correct algorithm makes on every element of x and on a sum over
 * x (the standard bound of a backward-stable computation: each element rounded once, n terms summed), for
 * results whose conditioning grows with the inputs' magnitude (exp of a difference of large numbers) and count.
 * When `ulps` or `input` is given, abs and rel default to 0 (the bound is what they state, nothing looser).
 */
export const toleranceSchema = (abs: number, rel: number) =>
  z
    .strictObject({
      abs: z.number().min(0).optional(),
      rel: z.number().min(0).optional(),
      ulps: z.number().min(0).optional(),
      input: z
        .strictObject({
          arg: z.int().min(0),
          ulps: z.number().min(0),
          /** Whether the input term scales with |want| (relative) or is absolute. */
          relative: z.boolean().default(true),
        })
        .optional(),
    })
    .prefault({})
    .transform((t): Tolerance => {
      const stated = t.ulps !== undefined || t.input !== undefined;
      return {
        abs: t.abs ?? (stated ? 0 : abs),
        rel: t.rel ?? (stated ? 0 : rel),
        ...(t.ulps === undefined ? {} : { ulps: t.ulps }),
        ...(t.input === undefined ? {} : { input: t.input }),
      };
    });

/** A tolerance as stated in YAML (see toleranceSchema). */
export interface Tolerance {
  readonly abs: number;
  readonly rel: number;
  readonly ulps?: number;
  readonly input?: { readonly arg: number; readonly ulps: number; readonly relative: boolean };
}

/** A tolerance resolved for one case: the `input` term turned into abs and rel using that case's arguments. */
export interface Bound {
  readonly abs: number;
  readonly rel: number;
  readonly ulps?: number;
}

/** Resolve `tol` for a call with these arguments (max |x| and length of the argument the `input` term names). */
export function boundFor(tol: Tolerance, args: readonly unknown[]): Bound {
  const ulps = tol.ulps ?? 0;
  if (tol.input === undefined) return { abs: tol.abs, rel: tol.rel, ulps };
  const x = args[tol.input.arg];
  let max = 0;
  let n = 1;
  if (typeof x === 'number') max = Math.abs(x);
  else if (x instanceof Float64Array) {
    n = x.length;
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]!));
  }
  const extra = tol.input.ulps * EPSILON * (max + n);
  return tol.input.relative ? { abs: tol.abs, rel: tol.rel + extra, ulps } : { abs: tol.abs + extra, rel: tol.rel, ulps };
}

/** The bound in words, for messages. */
export function describeBound(b: Bound): string {
  const short = (x: number) => Number(x.toPrecision(3));
  const parts = [b.abs > 0 ? `abs ${short(b.abs)}` : '', b.rel > 0 ? `rel ${short(b.rel)}` : '', (b.ulps ?? 0) > 0 ? `${b.ulps} ulps` : ''].filter((p) => p !== '');
  return `tolerance ${parts.length === 0 ? 'exact' : parts.join(', ')}`;
}

/** The stated tolerance in words, for messages ("4 ulps + 4·ε·(max|x| + n) of argument 0, relative"). */
export function describeTolerance(t: Tolerance): string {
  const parts = [t.abs > 0 ? `abs ${t.abs}` : '', t.rel > 0 ? `rel ${t.rel}` : '', (t.ulps ?? 0) > 0 ? `${t.ulps} ulps` : ''];
  if (t.input !== undefined) parts.push(`${t.input.ulps}·ε·(max|x| + n) of argument ${t.input.arg}${t.input.relative ? ', relative' : ''}`);
  const stated = parts.filter((p) => p !== '');
  return stated.length === 0 ? 'exact' : stated.join(' + ');
}

/** How far off `got` is, in words: "Infinity", "NaN", "40 % off", "2013 ulps off". */
export function errorSize(got: number, want: number): string {
  if (Number.isNaN(got)) return 'NaN';
  if (!Number.isFinite(got)) return fmt(got);
  if (!Number.isFinite(want)) return `finite where ${fmt(want)} is expected`;
  const diff = Math.abs(got - want);
  const ulps = diff / ulp(want);
  if (ulps < 1e6) return `${fmt(ulps, 3)} ulps off`;
  if (want === 0) return `off by ${fmt(diff, 3)}`;
  const rel = diff / Math.abs(want);
  return rel >= 0.01 ? `${fmt(rel * 100, 3)} % off` : `relative error ${fmt(rel, 3)}`;
}

/** `got` and `want` with just enough digits to tell them apart (10 to 17 significant digits). */
function pair(got: number, want: number): [string, string] {
  for (let d = 10; d < 17; d++) {
    const a = fmt(got, d);
    const b = fmt(want, d);
    if (a !== b) return [a, b];
  }
  return [fmt(got, 17), fmt(want, 17)];
}

/** Whether two numbers agree: NaN matches only NaN, an infinity only the same infinity. */
export function close(got: number, want: number, tol: Bound): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  const diff = Math.abs(got - want);
  return diff <= tol.abs + tol.rel * Math.abs(want) + (tol.ulps === undefined || tol.ulps === 0 ? 0 : tol.ulps * ulp(want));
}

/**
 * Where `got` differs from `want` beyond the tolerance, in words (`where` names the value, e.g. "the result"),
 * or null when they agree. Numbers, typed arrays and arrays of them are compared numerically; anything else
 * must have the same type (and value, for booleans and strings).
 */
export function mismatch(got: OracleValue, want: OracleValue, tol: Bound, where: string): string | null {
  if (want.type === 'number') {
    if (got.type !== 'number') return `${where} is ${describeValue(got)}, not a number`;
    if (close(got.value, want.value, tol)) return null;
    const [g, w] = pair(got.value, want.value);
    return `${where} is ${g}, expected ${w}${Number.isFinite(got.value) ? ` (${errorSize(got.value, want.value)})` : ''}`;
  }
  if (want.type === 'typed') {
    if (got.type !== 'typed' || got.kind !== want.kind) return `${where} is ${describeValue(got)}, expected a ${want.kind} of length ${want.value.length}`;
    // Arrays with dimensions (numpy) must also have the reference's: the same values in another shape are wrong.
    if (got.shape !== undefined && want.shape !== undefined && !sameShape(got.shape, want.shape)) {
      return `${where} has shape ${shapeText(got.shape)}, expected ${shapeText(want.shape)}`;
    }
    if (got.value.length !== want.value.length) return `${where} has length ${got.value.length}, expected ${want.value.length}`;
    for (let i = 0; i < want.value.length; i++) {
      const g = got.value[i]!;
      const w = want.value[i]!;
      if (!close(g, w, tol)) {
        const [a, b] = pair(g, w);
        return `${where}[${i}] is ${a}, expected ${b}${Number.isFinite(g) ? ` (${errorSize(g, w)})` : ''}`;
      }
    }
    return null;
  }
  if (want.type === 'array') {
    if (got.type !== 'array') return `${where} is ${describeValue(got)}, expected an array of length ${want.items.length}`;
    if (got.items.length !== want.items.length) return `${where} has length ${got.items.length}, expected ${want.items.length}`;
    for (let i = 0; i < want.items.length; i++) {
      const m = mismatch(got.items[i]!, want.items[i]!, tol, `${where}[${i}]`);
      if (m !== null) return m;
    }
    return null;
  }
  if (got.type !== want.type) return `${where} is ${describeValue(got)}, expected ${describeValue(want)}`;
  if ((want.type === 'boolean' || want.type === 'string') && (got.type === 'boolean' || got.type === 'string') && got.value !== want.value) {
    return `${where} is ${JSON.stringify(got.value)}, expected ${JSON.stringify(want.value)}`;
  }
  return null;
}

/** The first NaN or infinity in a value, in words, or null when every number in it is finite. */
export function nonFinite(v: OracleValue, where: string): string | null {
  if (v.type === 'number') return Number.isFinite(v.value) ? null : `${where} is ${fmt(v.value)}`;
  if (v.type === 'typed') {
    for (let i = 0; i < v.value.length; i++) if (!Number.isFinite(v.value[i]!)) return `${where}[${i}] is ${fmt(v.value[i]!)}`;
    return null;
  }
  if (v.type === 'array') {
    for (let i = 0; i < v.items.length; i++) {
      const m = nonFinite(v.items[i]!, `${where}[${i}]`);
      if (m !== null) return m;
    }
  }
  return null;
}

/** Every number in a value, flattened (numbers, typed arrays, arrays of those); null if it holds anything else. */
export function numbersOf(v: OracleValue): number[] | Float64Array | null {
  if (v.type === 'number') return [v.value];
  if (v.type === 'typed') return v.value;
  if (v.type === 'array') {
    const out: number[] = [];
    for (const item of v.items) {
      const inner = numbersOf(item);
      if (inner === null) return null;
      for (const x of inner) out.push(x);
    }
    return out;
  }
  return null;
}

/** Map every number of a value (for expected outputs of transformed inputs). */
export function mapNumbers(v: OracleValue, f: (x: number, i: number) => number): OracleValue {
  if (v.type === 'number') return { type: 'number', value: f(v.value, 0) };
  if (v.type === 'typed') return { ...v, value: v.value.map(f) };
  if (v.type === 'array') return { type: 'array', items: v.items.map((item) => mapNumbers(item, f)) };
  return v;
}
