import type { OracleArg, OracleReply, OracleValue } from '../src/sandbox/protocol.ts';
import type { PropertyContext } from './PropertyContract.ts';
import { fmt } from './_check.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/**
 * Helpers for a stochastic layer: `new Subject(p, rng)`, `forward(x)`, `train()`, `eval()`. They turn the
 * oracle's replies into values or PropertyFailures with messages that name what went wrong.
 */

export async function newLayer(ctx: PropertyContext, p: number, rngSeed: number | null): Promise<number> {
  const args: OracleArg[] = rngSeed === null ? [p] : [p, { rng: rngSeed }];
  const r = await ctx.oracle.construct(ctx.subject, args);
  if (!r.ok) throw new PropertyFailure(`new ${ctx.subject}(${fmt(p)}${rngSeed === null ? '' : ', rng'}) threw ${r.thrown.name}: ${r.thrown.message}`);
  return r.handle;
}

export function describeValue(v: OracleValue): string {
  switch (v.type) {
    case 'typed':
      return `a ${v.kind} of length ${v.value.length}`;
    case 'number':
      return `the number ${fmt(v.value)}`;
    case 'object':
      return `an object (${v.className})`;
    case 'array':
      return `an array of length ${v.items.length}`;
    case 'other':
      return `a ${v.typeName}`;
    default:
      return v.type;
  }
}

export interface ForwardResult {
  readonly y: Float64Array;
  /** forward() returned the very array it was given. */
  readonly returnedInput: boolean;
  /** The input array as it was after the call (only when asked for). */
  readonly inputAfter: Float64Array | null;
}

export async function forward(ctx: PropertyContext, handle: number, x: Float64Array, what: string, echo = false): Promise<ForwardResult> {
  const r: OracleReply = await ctx.oracle.call(handle, 'forward', [x], echo);
  if (!r.ok) throw new PropertyFailure(`forward() threw ${r.thrown.name}: ${r.thrown.message} (${what})`);
  const v = r.value;
  if (v.type !== 'typed' || v.kind !== 'Float64Array') throw new PropertyFailure(`forward() returned ${describeValue(v)}, not a Float64Array (${what})`);
  if (v.value.length !== x.length) throw new PropertyFailure(`forward() returned ${v.value.length} values for an input of length ${x.length} (${what})`);
  let inputAfter: Float64Array | null = null;
  if (echo) {
    const a = r.args?.[0];
    if (a === undefined || a.type !== 'typed') throw new PropertyFailure(`forward() replaced its input argument (${what})`);
    inputAfter = a.value;
  }
  return { y: v.value, returnedInput: v.arg === 0, inputAfter };
}

export async function callVoid(ctx: PropertyContext, handle: number, method: 'train' | 'eval'): Promise<void> {
  const r = await ctx.oracle.call(handle, method, []);
  if (!r.ok) throw new PropertyFailure(`${method}() threw ${r.thrown.name}: ${r.thrown.message}`);
}

export async function readProp(ctx: PropertyContext, handle: number, prop: string): Promise<OracleValue> {
  const r = await ctx.oracle.get(handle, prop);
  if (!r.ok) throw new PropertyFailure(`reading .${prop} threw ${r.thrown.name}: ${r.thrown.message}`);
  return r.value;
}

/** Index of the first element where a and b differ bit for bit (Object.is), or -1. */
export function firstDifference(a: Float64Array, b: Float64Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return i;
  return a.length === b.length ? -1 : n;
}
