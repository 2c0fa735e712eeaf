import { Buffer } from 'node:buffer';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { z } from 'zod';
import type { NdArg, OracleArg, OracleReply, OracleValue, Request } from '../src/sandbox/protocol.ts';
import type { PropertyContext } from './PropertyContract.ts';
import { fmt } from './_check.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/**
 * Helpers for a stochastic layer: `new Subject(p, rng)`, `forward(x)`, `train()`, `eval()`. They turn the
 * oracle's replies into values or PropertyFailures with messages that name what went wrong.
 */

/**
 * How a layer property talks to the layer, as parameters of its entry: the method that applies the layer, and
 * where its randomness comes from — an injected `rng` argument after the rate (`new Layer(p, rng)`), or the
 * runtime's global generators, which the child re-seeds before each construction (`new Layer(p)`; Python's
 * `np.random`, seeded per construct by the harness).
 */
export const layerInterfaceParams = {
  method: z.string().min(1).default('forward').describe('The method that applies the layer to an array (Python: `__call__`).'),
  rng: z.enum(['argument', 'global']).default('argument').describe("Where the layer's randomness comes from: an rng argument after the rate, or the runtime's global generators (re-seeded by the child before each construction)."),
  maxDims: z
    .int()
    .min(1)
    .max(4)
    .default(1)
    .describe('Inputs get 1 to maxDims dimensions (a shape whose product is the input length), for layers that take arrays of any shape (numpy); 1 sends flat arrays.'),
};

/** A layer's interface, from `layerInterfaceParams`. */
export interface LayerInterface {
  readonly method: string;
  readonly rng: 'argument' | 'global';
  readonly maxDims?: number;
}

const DEFAULT_INTERFACE: LayerInterface = { method: 'forward', rng: 'argument', maxDims: 1 };

/**
 * A shape of 1 to `maxDims` dimensions whose product is `n`: each dimension a random divisor of what is left (an
 * empty input gets a zero somewhere). Drawn from `seed`, so the same plan sends the same shapes.
 */
export function shapeFor(n: number, maxDims: number, seed: number): number[] {
  const rng = xoroshiro128plus(seed | 0);
  const dims = uniformInt(rng, 1, maxDims);
  if (n === 0) {
    const shape = Array.from({ length: dims }, () => uniformInt(rng, 1, 4));
    shape[uniformInt(rng, 0, dims - 1)] = 0;
    return shape;
  }
  const shape: number[] = [];
  let left = n;
  for (let i = 0; i < dims - 1; i++) {
    const divisors: number[] = [];
    for (let d = 1; d * d <= left; d++) if (left % d === 0) divisors.push(d, left / d);
    const d = divisors[uniformInt(rng, 0, divisors.length - 1)] ?? 1;
    shape.push(d);
    left /= d;
  }
  shape.push(left);
  return shape;
}

/** The seed mixed with the input's length and its first values' bits (FNV-1a over 32-bit words). */
function mix(seed: number, x: Float64Array): number {
  const words = new Uint32Array(x.buffer, x.byteOffset, Math.min(x.length, 4) * 2);
  let h = (0x811c9dc5 ^ seed ^ x.length) >>> 0;
  for (const w of words) h = Math.imul(h ^ w, 0x01000193) >>> 0;
  return h | 0;
}

/** Whether two array shapes are the same dimensions in the same order. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A shape as numpy prints it: `(3, 4)`, `(5,)`. */
export function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

function constructedOrFail(ctx: PropertyContext, reply: OracleReply, p: number, rngSeed: number | null): void {
  if (!reply.ok) throw new PropertyFailure(`new ${ctx.subject}(${fmt(p)}${rngSeed === null ? '' : ', rng'}) threw ${reply.thrown.name}: ${reply.thrown.message}`);
}

function layerArgs(p: number, rngSeed: number | null): OracleArg[] {
  return rngSeed === null ? [p] : [p, { rng: rngSeed }];
}

export function describeValue(v: OracleValue): string {
  switch (v.type) {
    case 'typed':
      return v.shape === undefined ? `a ${v.kind} of length ${v.value.length}` : `a ${v.kind} of shape (${v.shape.join(', ')}${v.shape.length === 1 ? ',' : ''})`;
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

function forwardResultOf(r: OracleReply, x: Float64Array, shape: readonly number[], what: string, echo: boolean, method: string): ForwardResult {
  if (!r.ok) throw new PropertyFailure(`${method}() threw ${r.thrown.name}: ${r.thrown.message} (${what})`);
  const v = r.value;
  if (v.type !== 'typed' || v.kind !== 'Float64Array') throw new PropertyFailure(`${method}() returned ${describeValue(v)}, not a Float64Array (${what})`);
  if (v.value.length !== x.length) throw new PropertyFailure(`${method}() returned ${v.value.length} values for an input of length ${x.length} (${what})`);
  // An array with dimensions (numpy) must have the input's: the same number of values in another shape is wrong.
  if (v.shape !== undefined && !sameShape(v.shape, shape)) {
    throw new PropertyFailure(`${method}() returned an array of shape ${shapeText(v.shape)} for an input of shape ${shapeText(shape)} (${what})`);
  }
  let inputAfter: Float64Array | null = null;
  if (echo) {
    const a = r.args?.[0];
    if (a === undefined || a.type !== 'typed') throw new PropertyFailure(`${method}() replaced its input argument (${what})`);
    inputAfter = a.value;
  }
  return { y: v.value, returnedInput: v.arg === 0, inputAfter };
}

function voidOrFail(r: OracleReply, method: string): void {
  if (!r.ok) throw new PropertyFailure(`${method}() threw ${r.thrown.name}: ${r.thrown.message}`);
}

function valueOrFail(r: OracleReply, prop: string): OracleValue {
  if (!r.ok) throw new PropertyFailure(`reading .${prop} threw ${r.thrown.name}: ${r.thrown.message}`);
  return r.value;
}

export async function readProp(ctx: PropertyContext, handle: number, prop: string): Promise<OracleValue> {
  return valueOrFail(await ctx.oracle.get(handle, prop), prop);
}

/** One request of a plan, and how its reply turns into a value or a PropertyFailure. */
export interface Ticket<T> {
  readonly index: number;
  readonly read: (reply: OracleReply) => T;
}

/** A layer a plan constructs: its handle (usable by the plan's later requests) and the construction's ticket. */
export interface PlannedLayer {
  readonly handle: number;
  readonly made: Ticket<void>;
}

/** The requests of one property run, and the check of their replies (throws PropertyFailure). */
export interface RunPlan {
  readonly requests: readonly Request[];
  verify(replies: readonly OracleReply[]): void;
  /**
   * `verify` keeps nothing of the replies (no array, no object holding one) once it returns: large replies may
   * then be received into reused memory (Oracle.runLeased).
   */
  readonly transient?: boolean;
}

/**
 * Builds the requests of one property run up front, so that a whole run — or many runs — costs one round trip
 * to the child. `check` receives `take`, which reads a ticket's reply in the order the checks ask for them:
 * asking in the order the requests were made gives the same first failure, with the same message, as
 * awaiting each request in turn would.
 *
 * @example
 * const plan = new LayerPlan(ctx);
 * const layer = plan.newLayer(0.5, seed);
 * const out = plan.forward(layer, x, 'p = 0.5');
 * return plan.check((take) => { take(layer.made); const { y } = take(out); … });
 */
export class LayerPlan {
  readonly #ctx: PropertyContext;
  readonly #requests: Request[] = [];
  readonly #layer: LayerInterface;

  constructor(ctx: PropertyContext, layer: LayerInterface = DEFAULT_INTERFACE) {
    this.#ctx = ctx;
    this.#layer = { method: layer.method, rng: layer.rng, maxDims: layer.maxDims ?? 1 };
  }

  #ticket<T>(request: Request, read: (reply: OracleReply) => T): Ticket<T> {
    this.#requests.push(request);
    return { index: this.#requests.length - 1, read };
  }

  newLayer(p: number, rngSeed: number | null): PlannedLayer {
    if (this.#layer.rng === 'global') {
      // The seed goes to the child's global generators, which it re-seeds from it before constructing.
      if (rngSeed !== null) this.#requests.push({ op: 'reseed', seed: rngSeed });
      const { request, handle } = this.#ctx.oracle.constructRequest(this.#ctx.subject, [p]);
      return { handle, made: this.#ticket(request, (r) => constructedOrFail(this.#ctx, r, p, null)) };
    }
    const { request, handle } = this.#ctx.oracle.constructRequest(this.#ctx.subject, layerArgs(p, rngSeed));
    return { handle, made: this.#ticket(request, (r) => constructedOrFail(this.#ctx, r, p, rngSeed)) };
  }

  /**
   * `shape` sends x with those dimensions (their product must be x's length) instead of drawn ones, for a property
   * that tests the shapes a task's own tests use; a layer that takes flat arrays (`maxDims` 1) still gets x flat.
   */
  forward(layer: PlannedLayer, x: Float64Array, what: string, echo = false, shape?: readonly number[]): Ticket<ForwardResult> {
    const method = this.#layer.method;
    const flat = (this.#layer.maxDims ?? 1) === 1;
    // Flat unless the layer takes arrays of any shape. The shape is drawn from the seed and the input itself: a
    // property's runs each build a fresh plan (a seed alone would give every run the same number of dimensions),
    // and the same input keeps its shape within a run (two runs that must agree, train then eval, …).
    const dims = flat ? [x.length] : [...(shape ?? shapeFor(x.length, this.#layer.maxDims ?? 1, mix(this.#ctx.seed, x)))];
    const arg: Float64Array | NdArg = flat ? x : { shape: dims, value: x };
    const at = flat ? what : `${what}, shape ${shapeText(dims)}`;
    return this.#ticket({ op: 'call', handle: layer.handle, method, args: [arg], echoArgs: echo }, (r) => forwardResultOf(r, x, dims, at, echo, method));
  }

  call(layer: PlannedLayer, method: 'train' | 'eval'): Ticket<void> {
    return this.#ticket({ op: 'call', handle: layer.handle, method, args: [], echoArgs: false }, (r) => voidOrFail(r, method));
  }

  get(layer: PlannedLayer, prop: string): Ticket<OracleValue> {
    return this.#ticket({ op: 'get', handle: layer.handle, prop }, (r) => valueOrFail(r, prop));
  }

  /** Re-seed the child's Math.random (its reply carries nothing to check). */
  reseedMathRandom(seed: number): void {
    this.#requests.push({ op: 'reseed', seed });
  }

  /** `transient`: see RunPlan.transient, a promise about `verify` made by the property that calls this. */
  check(verify: (take: <T>(ticket: Ticket<T>) => T) => void, options: { readonly transient?: boolean } = {}): RunPlan {
    const requests = this.#requests;
    return {
      requests,
      verify: (replies) => verify((ticket) => ticket.read(replies[ticket.index]!)),
      transient: options.transient === true,
    };
  }
}

/** Index of the first element where a and b differ bit for bit (Object.is), or -1. */
export function firstDifference(a: Float64Array, b: Float64Array): number {
  // Equal bytes are equal elements, and the usual answer (an input left untouched, eval the identity) is
  // "none": memcmp says so without a JavaScript loop over millions of elements, which a cold grade runs
  // unoptimized. Elements can differ in bytes and not by Object.is (NaNs with other payloads): the loop decides.
  if (a.length === b.length && bytesOf(a).equals(bytesOf(b))) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return i;
  return a.length === b.length ? -1 : n;
}

const bytesOf = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
