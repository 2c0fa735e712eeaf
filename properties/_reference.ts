import { createHash } from 'node:crypto';
import { RltaskError, SubmissionFault } from '../src/errors.ts';
import type { OracleArg, OracleReply, OracleValue, Request } from '../src/sandbox/protocol.ts';
import { type CallOutcome, invoke } from './_call.ts';
import type { CallSpec, CaseArgs } from './_inputs.ts';
import type { ReferenceSolution } from './PropertyContract.ts';

/**
 * The reference solution as a second oracle, for differential testing. The reference is trusted code from the
 * task file, but it is still run in its own sandbox (never in the grader's process), which the grade starts on
 * first use (`ReferenceSolution.oracle`). Its answers depend only on (reference source, call, arguments), so
 * they are cached for the whole process: a batch of grades, or a `check` self-test grading every decoy with one
 * seed, computes each reference output once and starts no reference sandbox at all after the first grade.
 */

const CACHE_BYTES = 64 * 1024 * 1024;
const cache = new Map<string, { outcome: Promise<CallOutcome>; bytes: number }>();
let cachedBytes = 0;

function sizeOf(v: OracleValue): number {
  if (v.type === 'typed') return v.value.byteLength + 64;
  if (v.type === 'array') return v.items.reduce((s, i) => s + sizeOf(i), 64);
  return 64;
}

function outcomeBytes(o: CallOutcome): number {
  return o.ok ? sizeOf(o.value) + o.argsAfter.reduce((s, a) => s + sizeOf(a), 0) : 256;
}

function hashArgs(h: ReturnType<typeof createHash>, args: readonly OracleArg[]): void {
  for (const a of args) {
    if (a instanceof Float64Array) {
      h.update(`f64:${a.length}:`);
      h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    } else if (a !== null && typeof a === 'object' && 'elements' in a) {
      h.update(`${a.elements}:${a.value.length}:`);
      h.update(new Uint8Array(a.value.buffer, a.value.byteOffset, a.value.byteLength));
    } else if (a !== null && typeof a === 'object' && 'shape' in a) {
      h.update(`nd:${a.shape.join('x')}:`);
      h.update(new Uint8Array(a.value.buffer, a.value.byteOffset, a.value.byteLength));
    } else if (a !== null && typeof a === 'object') h.update(`rng:${a.rng}:${a.constant ?? ''};`);
    else h.update(`${typeof a}:${Object.is(a, -0) ? '-0' : String(a)};`);
  }
}

function remember(key: string, outcome: Promise<CallOutcome>): void {
  const entry = { outcome, bytes: 1024 };
  cache.set(key, entry);
  cachedBytes += entry.bytes;
  outcome.then(
    (o) => {
      if (cache.get(key) !== entry) return;
      cachedBytes += outcomeBytes(o) - entry.bytes;
      entry.bytes = outcomeBytes(o);
      while (cachedBytes > CACHE_BYTES && cache.size > 1) {
        const [oldest, e] = cache.entries().next().value as [string, { bytes: number }];
        cache.delete(oldest);
        cachedBytes -= e.bytes;
      }
    },
    () => {
      // A failed reference call is not an answer: forget it so that nothing reuses the failure.
      if (cache.get(key) === entry) {
        cache.delete(key);
        cachedBytes -= entry.bytes;
      }
    },
  );
}

/** Reference answers for one property run: cached calls, and requests run as they are. */
export class ReferenceRunner {
  readonly #reference: ReferenceSolution;

  constructor(reference: ReferenceSolution) {
    this.#reference = reference;
  }

  /** The reference's outcome for this call (cached across grades). */
  run(subject: string, call: CallSpec, c: CaseArgs): Promise<CallOutcome> {
    const h = createHash('sha256').update(this.#reference.key);
    const { dims: _dims, args: _args, construct: _construct, ...shape } = call;
    h.update(JSON.stringify({ subject, shape, construct: c.construct === undefined ? null : c.construct.length }));
    hashArgs(h, c.construct ?? []);
    h.update('|');
    hashArgs(h, c.args);
    const key = h.digest('hex');
    const hit = cache.get(key);
    if (hit !== undefined) {
      // Refresh its place in the LRU order.
      cache.delete(key);
      cache.set(key, hit);
      return hit.outcome;
    }
    const outcome = (async () => {
      const oracle = await this.#reference.oracle();
      try {
        return await invoke(oracle, subject, call, c);
      } catch (e) {
        if (e instanceof SubmissionFault) throw new RltaskError('E_INTERNAL', `${this.#reference.taskId}: the reference solution failed on ${subject}(…): ${e.message}`);
        throw e;
      }
    })();
    remember(key, outcome);
    return outcome;
  }

  /**
   * Run requests in the reference's sandbox as they are, in one round trip (not cached here): for sequences whose
   * state lives in the child, where one reply depends on every request before it.
   */
  async runRequests(requests: readonly Request[], what: string): Promise<readonly OracleReply[]> {
    const oracle = await this.#reference.oracle();
    try {
      return await oracle.run(requests, what);
    } catch (e) {
      if (e instanceof SubmissionFault) throw new RltaskError('E_INTERNAL', `${this.#reference.taskId}: the reference solution failed on ${what}: ${e.message}`);
      throw e;
    }
  }
}
