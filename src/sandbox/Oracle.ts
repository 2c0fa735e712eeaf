import type { OracleArg, OracleReply, OracleValue, Request } from './protocol.ts';
import type { Sandbox } from './Sandbox.ts';
import { SubmissionFault } from './SubmissionFault.ts';

export type ConstructResult = { readonly ok: true; readonly handle: number } | { readonly ok: false; readonly thrown: { name: string; message: string } };

/**
 * The parent's view of a loaded submission: construct objects, call methods, read properties. Every value the
 * child sends back is re-validated here, because the child may have been taken over by the submission; a
 * reply of the wrong shape is the submission's fault.
 */
export class Oracle {
  readonly #sandbox: Sandbox;
  readonly #deadline: number;
  /** Number of requests sent (for reports and benchmarks). */
  requests = 0;

  constructor(sandbox: Sandbox, deadline: number) {
    this.#sandbox = sandbox;
    this.#deadline = deadline;
  }

  /** Milliseconds left of the task's time budget. */
  get remainingMs(): number {
    return this.#deadline - performance.now();
  }

  async #send(request: Request, what: string): Promise<{ reply: OracleReply; handle: number | undefined }> {
    this.requests++;
    const left = this.remainingMs;
    if (left <= 0) throw new SubmissionFault('timeout', `the task's time budget ran out before ${what}`);
    const r = await this.#sandbox.request(request, left, what);
    if (!isReply(r.reply)) throw new SubmissionFault('protocol', `the reply to ${what} was malformed`);
    return r;
  }

  async construct(target: string, args: readonly OracleArg[]): Promise<ConstructResult> {
    const { reply, handle } = await this.#send({ op: 'construct', target, args }, `new ${target}(…)`);
    if (!reply.ok) return { ok: false, thrown: reply.thrown };
    if (typeof handle !== 'number') throw new SubmissionFault('protocol', `new ${target}(…) returned no handle`);
    return { ok: true, handle };
  }

  async call(handle: number, method: string, args: readonly OracleArg[], echoArgs = false): Promise<OracleReply> {
    return (await this.#send({ op: 'call', handle, method, args, echoArgs }, `${method}()`)).reply;
  }

  async callExport(target: string, args: readonly OracleArg[], echoArgs = false): Promise<OracleReply> {
    return (await this.#send({ op: 'callExport', target, args, echoArgs }, `${target}()`)).reply;
  }

  async get(handle: number, prop: string): Promise<OracleReply> {
    return (await this.#send({ op: 'get', handle, prop }, `reading .${prop}`)).reply;
  }

  /** Re-seed the child's `Math.random`, so that code ignoring the injected rng is reproducible too. */
  async reseedMathRandom(seed: number): Promise<void> {
    await this.#send({ op: 'reseed', seed }, 'reseeding Math.random');
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
      return o['value'] instanceof Float64Array && typeof o['kind'] === 'string' && typeof o['arg'] === 'number';
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
