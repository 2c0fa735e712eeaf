/**
 * The framing of the parent↔child channel (an extra stdio fd, a UNIX stream socket; never stdout/stderr).
 *
 * A frame is `u32 length | u32 headerBytes | header | zero pad to 8 | blob…` (little-endian, `length` counts
 * everything after itself). The header is UTF-8 JSON, `{"a":[n0,n1,…],"m":message}`: `a` lists the element
 * counts of the message's Float64Arrays, whose bytes follow the header as blobs in that order, and in `m` each
 * array is the placeholder `{"$f":i}` (an array that occurs twice is sent once). JSON cannot hold every value
 * the protocol carries, so NaN, ±Infinity and −0 travel as `{"$n":"NaN"}` etc. and `undefined` as `{"$u":0}`.
 * In a parent→child frame an entry of `a` may be `[offset, n]` instead of `n`: an array the child reads from the
 * batch's input file (fd 4, see _inputFile.ts) instead of the channel; it has no blob.
 * This avoids the three copies of Node's 'advanced' IPC (serialize, channel, deserialize) for the large arrays
 * the properties exchange: the sender writes views of the large arrays' memory (small ones are copied together
 * into one buffer), and the receiver hands out Float64Array views into the frame it collected.
 *
 * JSON rather than `v8.serialize`: the child would have to load node:v8, whose module graph (heap utils,
 * streams) is compiled from scratch when the process runs with V8 flags (they change the flag hash that
 * Node's built-in code cache is keyed on), which costs more than the rest of the harness's start.
 *
 * Arrays are sent as raw bytes, so every value (−0, NaN payloads) arrives exactly as it was sent. (A sparse
 * encoding of +0.0 runs was tried for dropout outputs and cost the child more CPU than the bytes it saved.)
 *
 * The parent decodes frames from a child that may be hostile: lengths are capped before anything is
 * allocated, blobs must lie inside the frame and fill it exactly, placeholders must name an array of the
 * table, and JSON.parse can build nothing but plain data. Every decoded message is still validated by the
 * caller.
 */

import { type FrameLease, forkSafeMemory } from './_framePool.ts';

const F64 = Float64Array;
const U8 = Uint8Array;
const MAX_U32 = 0xffff_ffff;
const MAX_DEPTH = 64;
const COPY_BELOW_BYTES = 16 * 1024;
const RUN_BYTES = 1024 * 1024;
const isArray = Array.isArray;
const hasOwn = Object.prototype.hasOwnProperty;
const objectKeys = Object.keys;
const defineProperty = Object.defineProperty;
const numberIsInteger = Number.isInteger;
const jsonParse = JSON.parse;
const jsonStringify = JSON.stringify;
const fromArrayBuffer = Buffer.from.bind(Buffer) as (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;
const allocFrame = Buffer.allocUnsafeSlow.bind(Buffer);
const SPECIAL_NUMBERS: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY, '-0': -0 };

function align8(n: number): number {
  return (n + 7) & ~7;
}

/**
 * Encode one message as a list of buffers to write in order. The Float64Arrays' memory is referenced, not
 * copied, so they must not change until the write completes (the protocol is request/reply, so they don't).
 */
export function encodeFrame(message: unknown, place?: (a: Float64Array) => number | undefined): Buffer[] {
  const index = new Map<Float64Array, number>();
  const table: (number | [number, number])[] = [];
  const blobs: Float64Array[] = [];
  let blobBytes = 0;
  const body = jsonStringify(message, (_key, value: unknown) => {
    switch (typeof value) {
      case 'number':
        if (value !== value || value === Infinity || value === -Infinity) return { $n: String(value) };
        return value === 0 && 1 / value < 0 ? { $n: '-0' } : value;
      case 'undefined':
        return { $u: 0 };
      case 'object':
        if (value !== null && ArrayBuffer.isView(value)) {
          if (!(value instanceof F64)) throw new TypeError('only Float64Array can be sent over the sandbox channel');
          let i = index.get(value);
          if (i === undefined) {
            i = table.length;
            index.set(value, i);
            const offset = place?.(value);
            if (offset !== undefined) table.push([offset, value.length]);
            else {
              table.push(value.length);
              blobs.push(value);
              blobBytes += value.byteLength;
            }
          }
          return { $f: i };
        }
        return value;
      default:
        return value;
    }
  });
  const header = Buffer.from(`{"a":${jsonStringify(table)},"m":${body}}`, 'utf8');
  const blobStart = align8(4 + header.length);
  const length = blobStart + blobBytes;
  if (length > MAX_U32) throw new RangeError(`a sandbox message of ${length} bytes is too large`);
  // Small arrays are copied in after the header, into one buffer: a long sequence's batch carries tens of
  // thousands of arrays of a few elements, and a socket write (or a Buffer) per array costs far more than
  // copying their bytes. Large arrays are written from their own memory.
  const parts: Buffer[] = [];
  let group: Float64Array[] = [];
  let groupBytes = 0;
  let withHeader = true;
  const flush = (): void => {
    if (!withHeader && group.length === 0) return;
    const prefix = withHeader ? 4 + blobStart : 0;
    // Pooled memory is fine here (only written out, never viewed as Float64Array).
    const out = Buffer.allocUnsafe(prefix + groupBytes);
    if (withHeader) {
      out.writeUInt32LE(length, 0);
      out.writeUInt32LE(header.length, 4);
      header.copy(out, 8);
      out.fill(0, 8 + header.length, prefix);
      withHeader = false;
    }
    let at = prefix;
    for (const a of group) {
      out.set(new U8(a.buffer, a.byteOffset, a.byteLength), at);
      at += a.byteLength;
    }
    parts.push(out);
    group = [];
    groupBytes = 0;
  };
  for (const a of blobs) {
    if (a.byteLength >= COPY_BELOW_BYTES) {
      flush();
      parts.push(fromArrayBuffer(a.buffer, a.byteOffset, a.byteLength));
    } else {
      group.push(a);
      groupBytes += a.byteLength;
    }
  }
  flush();
  return parts;
}

/** An element count that fits a frame. */
function isCount(n: unknown): n is number {
  return typeof n === 'number' && numberIsInteger(n) && n >= 0 && n <= MAX_U32 / 8;
}

/** An array of the table: `n` elements in the frame's next blob, or at byte `offset` of the input file. */
type TableEntry = { readonly n: number; readonly offset?: number };

/** The array table and message of a parsed header; throws unless it has exactly that shape. */
function splitHeader(text: string): { table: TableEntry[]; message: unknown } {
  const parsed: unknown = jsonParse(text);
  if (typeof parsed !== 'object' || parsed === null || isArray(parsed)) throw new RangeError('a frame header is not an object');
  const { a, m } = parsed as { a?: unknown; m?: unknown };
  if (!isArray(a)) throw new RangeError('a frame header has no valid array table');
  const table = a.map((e: unknown): TableEntry => {
    if (isCount(e)) return { n: e };
    if (isArray(e) && e.length === 2 && typeof e[0] === 'number' && numberIsInteger(e[0]) && e[0] >= 0 && isCount(e[1])) return { n: e[1], offset: e[0] };
    throw new RangeError('a frame header has no valid array table');
  });
  return { table, message: m };
}

/** Replace the placeholders in `node` (in place) with their values; `arrays` are the message's arrays by index. */
function revive(node: unknown, arrays: readonly Float64Array[], depth: number): unknown {
  if (typeof node !== 'object' || node === null) return node;
  if (depth > MAX_DEPTH) throw new RangeError('a frame header is nested too deeply');
  if (isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = revive(node[i], arrays, depth + 1);
    return node;
  }
  const keys = objectKeys(node);
  if (keys.length === 1) {
    const key = keys[0]!;
    const v = (node as Record<string, unknown>)[key];
    if (key === '$f') {
      if (typeof v !== 'number' || !numberIsInteger(v) || v < 0 || v >= arrays.length) throw new RangeError('a frame names an array it does not carry');
      return arrays[v];
    }
    if (key === '$n') {
      if (typeof v !== 'string' || !hasOwn.call(SPECIAL_NUMBERS, v)) throw new RangeError('a frame has a malformed number');
      return SPECIAL_NUMBERS[v];
    }
    if (key === '$u') return undefined;
  }
  const record = node as Record<string, unknown>;
  for (const key of keys) {
    const v = record[key];
    if (typeof v !== 'object' || v === null) continue;
    // defineProperty, not assignment, for "__proto__" (JSON.parse makes it an own property): it must stay one.
    if (key === '__proto__') defineProperty(node, key, { value: revive(v, arrays, depth + 1), writable: true, enumerable: true, configurable: true });
    else record[key] = revive(v, arrays, depth + 1);
  }
  return node;
}

/** Decode one frame body (everything after the length field). Throws on any inconsistency. */
function decodeFrame(frame: Buffer): unknown {
  if (frame.length < 4) throw new RangeError('a frame is shorter than its header length');
  const headerBytes = frame.readUInt32LE(0);
  if (4 + headerBytes > frame.length) throw new RangeError('a frame header runs past the frame');
  const { table, message } = splitHeader(frame.toString('utf8', 4, 4 + headerBytes));
  let at = align8(4 + headerBytes);
  const arrays = table.map(({ n, offset: fileOffset }) => {
    // Only the parent writes the input file; a frame from the child cannot refer to it.
    if (fileOffset !== undefined) throw new RangeError('a frame refers to the input file');
    if (at + n * 8 > frame.length) throw new RangeError('an array in the frame runs past its end');
    const offset = frame.byteOffset + at;
    at += n * 8;
    if (offset % 8 === 0) return new F64(frame.buffer, offset, n);
    // A frame decoded in place from a read chunk may be misaligned: copy (still exact, byte for byte).
    const copy = new F64(n);
    new U8(copy.buffer).set(new U8(frame.buffer, offset, n * 8));
    return copy;
  });
  if (at !== frame.length) throw new RangeError('a frame has bytes that belong to no array');
  return revive(message, arrays, 0);
}

/**
 * Read one frame with blocking reads, for the child: the arrays are allocated by `makeArray` (in the
 * submission's realm) and filled straight from the channel, so the bytes are copied once, not three times
 * (into a frame, out of it, into the submission's realm). `read(into, offset, length)` must fill exactly that
 * range. Throws on an inconsistent frame. `arrays` lists every array of the message, once each, in order.
 */
export function readFrameBlocking(
  read: (into: Uint8Array, offset: number, length: number) => void,
  makeArray: (n: number) => Float64Array,
  bytesOf: (a: Float64Array) => Uint8Array,
  readAt?: (into: Uint8Array, fileOffset: number) => void,
): { value: unknown; arrays: Float64Array[] } {
  const head = new U8(8);
  read(head, 0, 8);
  const view = new DataView(head.buffer);
  const length = view.getUint32(0, true);
  const headerBytes = view.getUint32(4, true);
  const blobStart = align8(4 + headerBytes);
  if (blobStart > length) throw new RangeError('a frame header runs past the frame');
  const header = new U8(blobStart - 4);
  read(header, 0, header.length);
  const { table, message } = splitHeader(fromArrayBuffer(header.buffer, 0, headerBytes).toString('utf8'));
  if (blobStart + table.reduce((sum, e) => sum + (e.offset === undefined ? e.n * 8 : 0), 0) !== length) throw new RangeError('a frame has bytes that belong to no array');
  if (readAt === undefined && table.some((e) => e.offset !== undefined)) throw new RangeError('a frame refers to an input file this process does not have');
  // Blobs come in table order from the channel; file entries are read after them, out of the way of the stream.
  const arrays = table.map(({ n }) => makeArray(n));
  // Small arrays are read in runs, one read into a scratch buffer and copied out (a read per array of a few
  // elements costs far more than the copy); large ones straight into their memory.
  let scratch = new U8(0);
  for (let i = 0; i < table.length; ) {
    const e = table[i]!;
    if (e.offset !== undefined) {
      i++;
      continue;
    }
    if (e.n * 8 >= COPY_BELOW_BYTES) {
      const bytes = bytesOf(arrays[i]!);
      read(bytes, 0, bytes.length);
      i++;
      continue;
    }
    let end = i;
    let bytes = 0;
    while (end < table.length && bytes < RUN_BYTES) {
      const f = table[end]!;
      if (f.offset !== undefined) {
        end++;
        continue;
      }
      if (f.n * 8 >= COPY_BELOW_BYTES) break;
      bytes += f.n * 8;
      end++;
    }
    if (scratch.length < bytes) scratch = new U8(Math.max(bytes, 4096));
    read(scratch, 0, bytes);
    let at = 0;
    for (let j = i; j < end; j++) {
      if (table[j]!.offset !== undefined) continue;
      const into = bytesOf(arrays[j]!);
      into.set(scratch.subarray(at, at + into.length));
      at += into.length;
    }
    i = end;
  }
  table.forEach((e, i) => {
    if (e.offset !== undefined) readAt!(bytesOf(arrays[i]!), e.offset);
  });
  return { value: revive(message, arrays, 0), arrays };
}

/** A frame whose length prefix exceeds the reader's limit at that moment: refused before it is read. */
export class FrameTooLarge extends RangeError {
  readonly bytes: number;
  readonly limit: number;
  constructor(bytes: number, limit: number) {
    super(`a message of ${bytes} bytes exceeds the limit of ${limit}`);
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** A frame with at least this much left is read in place (FrameReader.target): below it, reads are small anyway. */
const IN_PLACE_BYTES = 64 * 1024;
const SCRATCH_BYTES = 256 * 1024;

let scratch: Uint8Array | undefined;

/** Memory every FrameReader of this process reads small chunks into (see forkSafeMemory for why not a Buffer). */
function readScratch(): Uint8Array {
  scratch ??= new Uint8Array(forkSafeMemory(SCRATCH_BYTES));
  return scratch;
}

/**
 * Reassembles frames from stream chunks. `onFrame` gets each decoded message; `onError` gets the first
 * problem (an oversized or malformed frame), after which the reader ignores all further input.
 */
export class FrameReader {
  readonly #maxFrameBytes: () => number;
  readonly #onFrame: (message: unknown, release?: () => void) => void;
  readonly #onError: (error: Error) => void;
  /** Bytes of a length prefix split across chunks. */
  readonly #prefix = Buffer.alloc(4);
  #prefixBytes = 0;
  #frame: Buffer | null = null;
  /** Gives a leased frame's memory back (see `lease` in the constructor). */
  #release: (() => void) | undefined = undefined;
  #filled = 0;
  #failed = false;
  readonly #lease: ((length: number) => FrameLease | undefined) | undefined;

  /**
   * `maxFrameBytes` is the limit for every frame, or a function asked for the limit of each frame when its length
   * prefix arrives (a budget that depends on what the reader is waiting for). `lease`, if given, is asked for the
   * memory of each frame that does not arrive in one chunk; when it returns a lease, the frame is received into
   * that memory and `onFrame` gets its `release` beside the message (whose arrays are views into it), and must call
   * it once nothing uses those arrays any more.
   */
  constructor(
    maxFrameBytes: number | (() => number),
    onFrame: (message: unknown, release?: () => void) => void,
    onError: (error: Error) => void,
    lease?: (length: number) => FrameLease | undefined,
  ) {
    this.#maxFrameBytes = typeof maxFrameBytes === 'number' ? () => maxFrameBytes : maxFrameBytes;
    this.#onFrame = onFrame;
    this.#onError = onError;
    this.#lease = lease;
  }

  /** Bytes of an unfinished frame are buffered (the stream ended mid-frame if this is true at its end). */
  get partial(): boolean {
    return this.#frame !== null || this.#prefixBytes > 0;
  }

  /**
   * The memory the next read from the channel should go into (ChannelSink): the rest of a large frame being
   * received, so that its bytes are read in place, or else scratch memory shared by every reader of this process
   * (reads are handled one at a time, each before the next read is made).
   */
  target(): Uint8Array {
    const frame = this.#frame;
    if (frame !== null && frame.length - this.#filled >= IN_PLACE_BYTES) return frame.subarray(this.#filled);
    return readScratch();
  }

  /** `bytes` arrived in `into`, the memory `target` gave (ChannelSink). */
  received(bytes: number, into: Uint8Array): void {
    const frame = this.#frame;
    if (frame !== null && into.buffer === frame.buffer && into.byteOffset === frame.byteOffset + this.#filled) {
      this.#filled += bytes;
      if (this.#filled === frame.length) this.#finish(frame);
      return;
    }
    this.push(fromArrayBuffer(into.buffer, into.byteOffset, bytes), true);
  }

  /** `reused`: the chunk's memory is read into again later, so nothing decoded may stay a view into it. */
  push(chunk: Buffer, reused = false): void {
    let at = 0;
    while (!this.#failed && at < chunk.length) {
      if (this.#frame === null) {
        let length: number;
        if (this.#prefixBytes === 0 && chunk.length - at >= 4) {
          length = chunk.readUInt32LE(at);
          at += 4;
        } else {
          const take = Math.min(4 - this.#prefixBytes, chunk.length - at);
          chunk.copy(this.#prefix, this.#prefixBytes, at, at + take);
          this.#prefixBytes += take;
          at += take;
          if (this.#prefixBytes < 4) return;
          this.#prefixBytes = 0;
          length = this.#prefix.readUInt32LE(0);
        }
        const limit = this.#maxFrameBytes();
        if (length > limit) {
          this.#fail(new FrameTooLarge(length, limit));
          return;
        }
        if (chunk.length - at >= length) {
          // The whole frame is in this chunk (small messages): decode it in place, no copy, unless the chunk's
          // memory is about to be read into again.
          const frame = reused ? Buffer.from(chunk.subarray(at, at + length)) : chunk.subarray(at, at + length);
          at += length;
          this.#deliver(frame);
          continue;
        }
        const leased = this.#lease?.(length);
        this.#frame = leased === undefined ? allocFrame(length) : leased.buffer;
        this.#release = leased?.release;
        this.#filled = 0;
      }
      const frame = this.#frame;
      const take = Math.min(frame.length - this.#filled, chunk.length - at);
      chunk.copy(frame, this.#filled, at, at + take);
      this.#filled += take;
      at += take;
      if (this.#filled < frame.length) return;
      this.#finish(frame);
    }
  }

  /** The frame being received is complete: deliver it, with its lease if it has one. */
  #finish(frame: Buffer): void {
    const release = this.#release;
    this.#frame = null;
    this.#release = undefined;
    this.#deliver(frame, release);
  }

  #deliver(frame: Buffer, release?: () => void): void {
    let message: unknown;
    try {
      message = decodeFrame(frame);
    } catch (e) {
      release?.();
      this.#fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.#onFrame(message, release);
  }

  #fail(error: Error): void {
    this.#failed = true;
    this.#frame = null;
    this.#release?.();
    this.#release = undefined;
    this.#onError(error);
  }
}
