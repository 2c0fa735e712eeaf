import type { Request, RequestArg } from './protocol.ts';

/**
 * The most bytes a child's reply to a batch may take, decided by the parent from the requests alone, so that a
 * larger reply is refused at its length prefix, before anything is allocated for it.
 *
 * What a request can legitimately produce is bounded by what it sends: the functions under test return arrays
 * sized like their array arguments (dropout, softmax, layer norm, Adam) or like a matrix whose dimensions are
 * their integer arguments (He init: fanIn × fanOut). Per element of either kind a reply may spend `BYTES_PER_UNIT`:
 * the returned array several times over (8 bytes per copy), the arguments echoed back, or a plain array of
 * numbers described as JSON. On top, every request has `BYTES_PER_REQUEST` for its descriptor (strings and thrown
 * messages are capped by the harness at 2,000 characters) and every batch `BYTES_PER_BATCH` for the frame.
 */
const BYTES_PER_UNIT = 96;
const BYTES_PER_REQUEST = 8 * 1024;
const BYTES_PER_BATCH = 64 * 1024;
/** A product of integer arguments is a size only up to here (2^28 elements, 2 GiB of float64). */
const MAX_DIMS = 2 ** 28;

/**
 * Float64Array elements among the arguments (a kept array counts with its length), and the product of the
 * positive integer ones (the dims).
 */
function unitsOf(args: readonly RequestArg[], kept: ReadonlyMap<number, number>, largest: number): { sent: number; dims: number } {
  let sent = 0;
  let dims = 1;
  let integers = 0;
  for (const a of args) {
    if (a instanceof Float64Array) sent += a.length;
    else if (typeof a === 'number' && Number.isInteger(a) && a >= 1) {
      dims = Math.min(MAX_DIMS, dims * a);
      integers++;
    } else if (a !== null && typeof a === 'object' && 'kept' in a) sent += a.value?.length ?? kept.get(a.kept) ?? largest;
    else if (a !== null && typeof a === 'object' && ('elements' in a || 'shape' in a)) sent += a.value.length;
  }
  return { sent, dims: integers === 0 ? 0 : dims };
}

/** The byte budget of the reply to one batch of requests (see the file comment); `kept` as the child has them. */
export function replyBudget(requests: readonly Request[], kept: Map<number, number> = new Map()): number {
  // Arrays kept in the child (`keep`) stand for their length wherever a request passes them: `kept` holds the lengths
  // from earlier batches of the same child and is updated with this batch's. One unknown there stands for the batch's
  // largest array.
  let largest = 0;
  for (const r of requests) {
    if (r.op === 'keep') largest = Math.max(largest, r.value.length);
    if (r.op === 'callEach') largest = Math.max(largest, r.length);
    if (r.op === 'call' || r.op === 'callExport' || r.op === 'construct') for (const a of r.args) if (a instanceof Float64Array) largest = Math.max(largest, a.length);
  }
  let units = 0;
  let batchSent = 0;
  for (const r of requests) {
    if (r.op === 'keep') {
      kept.set(r.handle, r.value.length);
      batchSent += r.value.length;
    } else if (r.op === 'callEach') {
      // Every call's result (an array of the argument's length, or a number) and its argument afterwards.
      units += r.inputs.length + (r.returns === 'number' ? r.count : r.inputs.length);
      batchSent += r.inputs.length;
    } else if (r.op === 'call' || r.op === 'callExport') {
      const { sent, dims } = unitsOf(r.args, kept, largest);
      units += sent + dims;
      batchSent += sent;
    } else if (r.op === 'construct') batchSent += unitsOf(r.args, kept, largest).sent;
  }
  // A property read may return any state the batch's arrays could have built (a stored copy of an input, say).
  const gets = requests.filter((r) => r.op === 'get').length;
  return BYTES_PER_BATCH + requests.length * BYTES_PER_REQUEST + BYTES_PER_UNIT * (units + Math.min(gets, 1) * batchSent);
}

/** The budget of every message the child sends while it loads the submission (`ready`, `loaded`, `loadFailed`). */
export const LOAD_REPLY_BYTES = 1024 * 1024;
