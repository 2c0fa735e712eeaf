import type { OracleArg, OracleReply, OracleValue, Request } from './protocol.ts';
import type { Sandbox } from './Sandbox.ts';
import { SubmissionFault } from '../errors.ts';

export type ConstructResult = { readonly ok: true; readonly handle: number } | { readonly ok: false; readonly thrown: { name: string; message: string } };

/**
 * The parent's view of a loaded submission: construct objects, call methods, read properties. Every value the
 * child sends back is re-validated here, because the child may have been taken over by the submission; a
 * reply of the wrong shape is the submission's fault.
 */
export class Oracle {
  readonly #sandbox: Sandbox;
  readonly #deadline: number;
  #nextHandle = 1;
  /** Requests sent (for reports and benchmarks). */
  requests = 0;
  /** Round trips to the child (a batch of requests is one). */
  roundTrips = 0;

  constructor(sandbox: Sandbox, deadline: number) {
    this.#sandbox = sandbox;
    this.#deadline = deadline;
  }

  /** Milliseconds left of the task's time budget. */
  get remainingMs(): number {
    return this.#deadline - performance.now();
  }

  /**
   * A request that constructs `new target(...args)` under a fresh handle, for `run()`. The handle is valid for
   * later requests of the same batch: the child runs a batch's requests in order.
   */
  constructRequest(target: string, args: readonly OracleArg[]): { request: Request; handle: number } {
    const handle = this.#nextHandle++;
    return { request: { op: 'construct', target, args, handle }, handle };
  }

  /**
   * A request that keeps a copy of `value` in the child under a fresh handle, for `run()`: later requests pass
   * that very array as the argument `{ kept: handle }`, and a `keep` request with the same handle overwrites its
   * elements in place.
   */
  keepRequest(value: Float64Array): { request: Request; handle: number } {
    const handle = this.#nextHandle++;
    return { request: { op: 'keep', handle, value }, handle };
  }

  /**
   * Run requests in the child in order, in one round trip, and get their validated replies in the same order.
   * `what` names the batch in a timeout message. A submission that throws gives an `ok: false` reply and the
   * following requests still run.
   *
   * @example
   * const { request, handle } = oracle.constructRequest('Dropout', [0.5, { rng: 7 }]);
   * const [made, out] = await oracle.run([request, { op: 'call', handle, method: 'forward', args: [x], echoArgs: false }], 'forward()');
   */
  async run(requests: readonly Request[], what: string): Promise<readonly OracleReply[]> {
    this.requests += requests.length;
    this.roundTrips++;
    const left = this.remainingMs;
    if (left <= 0) throw new SubmissionFault('timeout', `the task's time budget ran out before ${what}`);
    const replies = await this.#sandbox.request(requests, left, what);
    for (const r of replies) if (!isReply(r)) throw new SubmissionFault('protocol', `a reply to ${what} was malformed`);
    return replies;
  }

  /**
   * `run`, for replies that `use` is done with when it returns: their arrays may live in memory that is reused for
   * a later reply once `use` has returned or thrown (large replies are then received without fresh page faults,
   * see src/sandbox/_framePool.ts). `use` must not keep any array of the replies, nor anything that refers to one.
   *
   * @example
   * const max = await oracle.runLeased(requests, 'forward() at 10000×128', (replies) => maxOf(replies));
   */
  async runLeased<T>(requests: readonly Request[], what: string, use: (replies: readonly OracleReply[]) => T): Promise<T> {
    this.requests += requests.length;
    this.roundTrips++;
    const left = this.remainingMs;
    if (left <= 0) throw new SubmissionFault('timeout', `the task's time budget ran out before ${what}`);
    const { replies, release } = await this.#sandbox.requestLeased(requests, left, what);
    try {
      for (const r of replies) if (!isReply(r)) throw new SubmissionFault('protocol', `a reply to ${what} was malformed`);
      const result = use(replies);
      // A promise would still be using the replies after they were released.
      if (result instanceof Promise) throw new TypeError('Oracle.runLeased: `use` must return a value, not a promise');
      return result;
    } finally {
      release();
    }
  }

  async #one(request: Request, what: string): Promise<OracleReply> {
    return (await this.run([request], what))[0]!;
  }

  async construct(target: string, args: readonly OracleArg[]): Promise<ConstructResult> {
    const { request, handle } = this.constructRequest(target, args);
    const reply = await this.#one(request, `new ${target}(…)`);
    return reply.ok ? { ok: true, handle } : { ok: false, thrown: reply.thrown };
  }

  call(handle: number, method: string, args: readonly OracleArg[], echoArgs = false): Promise<OracleReply> {
    return this.#one({ op: 'call', handle, method, args, echoArgs }, `${method}()`);
  }

  callExport(target: string, args: readonly OracleArg[], echoArgs = false): Promise<OracleReply> {
    return this.#one({ op: 'callExport', target, args, echoArgs }, `${target}()`);
  }

  get(handle: number, prop: string): Promise<OracleReply> {
    return this.#one({ op: 'get', handle, prop }, `reading .${prop}`);
  }

  /** Re-seed the child's `Math.random`, so that code ignoring the injected rng is reproducible too. */
  async reseedMathRandom(seed: number): Promise<void> {
    await this.#one({ op: 'reseed', seed }, 'reseeding Math.random');
  }
}

function isReply(r: unknown): r is OracleReply {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as { ok?: unknown; value?: unknown; args?: unknown; thrown?: unknown };
  if (o.ok === false) {
    const t = o.thrown as { name?: unknown; message?: unknown } | undefined;
    return typeof t === 'object' && t !== null && typeof t.name === 'string' && typeof t.message === 'string';
  }
  if (o.ok !== true || !isValue(o.value, 0)) return false;
  return o.args === undefined || (Array.isArray(o.args) && o.args.every((a) => isValue(a, 0)));
}

/** No shape (a child without n-dimensional arrays), or dimensions whose product is the array's length. */
function isShapeOf(shape: unknown, length: number): boolean {
  if (shape === undefined) return true;
  if (!Array.isArray(shape) || shape.length > 32) return false;
  let product = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) return false;
    product *= d;
  }
  return product === length;
}

function isValue(v: unknown, depth: number): v is OracleValue {
  if (typeof v !== 'object' || v === null || depth > 5) return false;
  const o = v as Record<string, unknown>;
  switch (o['type']) {
    case 'undefined':
    case 'null':
    case 'function':
      return true;
    case 'number':
      return typeof o['value'] === 'number';
    case 'boolean':
      return typeof o['value'] === 'boolean';
    case 'string':
      return typeof o['value'] === 'string';
    case 'typed':
      return o['value'] instanceof Float64Array && typeof o['kind'] === 'string' && typeof o['arg'] === 'number' && isShapeOf(o['shape'], o['value'].length);
    case 'array':
      return Array.isArray(o['items']) && o['items'].every((i) => isValue(i, depth + 1));
    case 'object':
      return typeof o['className'] === 'string';
    case 'other':
      return typeof o['typeName'] === 'string';
    default:
      return false;
  }
}
