import { z } from 'zod';
import type { OracleValue } from '../src/sandbox/protocol.ts';
import { fmt } from './_check.ts';
import { describeValue } from './_layer.ts';

/** |got − want| ≤ abs + rel·|want|, element by element. */
export const toleranceSchema = (abs: number, rel: number) =>
  z.strictObject({ abs: z.number().min(0).default(abs), rel: z.number().min(0).default(rel) }).prefault({});
export interface Tolerance {
  readonly abs: number;
  readonly rel: number;
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
export function close(got: number, want: number, tol: Tolerance): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= tol.abs + tol.rel * Math.abs(want);
}

/**
 * Where `got` differs from `want` beyond the tolerance, in words (`where` names the value, e.g. "the result"),
 * or null when they agree. Numbers, typed arrays and arrays of them are compared numerically; anything else
 * must have the same type (and value, for booleans and strings).
 */
export function mismatch(got: OracleValue, want: OracleValue, tol: Tolerance, where: string): string | null {
  if (want.type === 'number') {
    if (got.type !== 'number') return `${where} is ${describeValue(got)}, not a number`;
    if (close(got.value, want.value, tol)) return null;
    const [g, w] = pair(got.value, want.value);
    return `${where} is ${g}, expected ${w}`;
  }
  if (want.type === 'typed') {
    if (got.type !== 'typed' || got.kind !== want.kind) return `${where} is ${describeValue(got)}, expected a ${want.kind} of length ${want.value.length}`;
    if (got.value.length !== want.value.length) return `${where} has length ${got.value.length}, expected ${want.value.length}`;
    for (let i = 0; i < want.value.length; i++) {
      const g = got.value[i]!;
      const w = want.value[i]!;
      if (!close(g, w, tol)) {
        const [a, b] = pair(g, w);
        return `${where}[${i}] is ${a}, expected ${b}`;
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
