/**
 * The framing of the parent↔child channel (an extra stdio fd, a UNIX socketpair; never stdout/stderr).
 *
 * A frame is `u32 length | u32 headerBytes | header | zero pad to 8 | blob…` (little-endian, `length` counts
 * everything after itself). The header is `v8.serialize` output in which every Float64Array is written as a
 * host object holding only its element count; the arrays' bytes follow the header as blobs in the
 * same order. This avoids the three copies of Node's 'advanced' IPC (serialize, channel, deserialize) for the
 * large arrays the properties exchange: the sender writes views of the arrays' memory, and the receiver hands
 * out Float64Array views into the frame it collected.
 *
 * Arrays are sent as raw bytes, so every value (−0, NaN payloads) arrives exactly as it was sent. (A sparse
 * encoding of +0.0 runs was tried for dropout outputs and cost the child more CPU than the bytes it saved.)
 *
 * The parent decodes frames from a child that may be hostile: lengths are capped before anything is
 * allocated, blobs must lie inside the frame and fill it exactly, and V8's deserializer (built for untrusted
 * postMessage data) rejects malformed headers. Every decoded message is still validated by the caller.
 */
import v8 from 'node:v8';

declare module 'node:v8' {
  interface Serializer {
    _setTreatArrayBufferViewsAsHostObjects(flag: boolean): void;
  }
}

const F64 = Float64Array;
const fromArrayBuffer = Buffer.from.bind(Buffer) as (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;
const allocFrame = Buffer.allocUnsafeSlow.bind(Buffer);
const MAX_U32 = 0xffff_ffff;

function align8(n: number): number {
  return (n + 7) & ~7;
}

class BlobSerializer extends v8.Serializer {
  readonly blobs: Buffer[] = [];
  blobBytes = 0;

  constructor() {
    super();
    this._setTreatArrayBufferViewsAsHostObjects(true);
  }

  /** Called by V8 for every ArrayBufferView in the message. */
  _writeHostObject(value: object): void {
    if (!(value instanceof F64)) throw new TypeError('only Float64Array can be sent over the sandbox channel');
    this.writeUint32(value.length);
    this.blobs.push(fromArrayBuffer(value.buffer, value.byteOffset, value.byteLength));
    this.blobBytes += value.byteLength;
  }
}

class BlobDeserializer extends v8.Deserializer {
  readonly #frame: Buffer;
  #cursor: number;

  constructor(header: Buffer, frame: Buffer, blobStart: number) {
    super(header);
    this.#frame = frame;
    this.#cursor = blobStart;
  }

  get cursor(): number {
    return this.#cursor;
  }

  #take(bytes: number): number {
    const at = this.#cursor;
    if (at + bytes > this.#frame.length) throw new RangeError('an array in the frame runs past its end');
    this.#cursor = at + bytes;
    return this.#frame.byteOffset + at;
  }

  /** Called by V8 for every host object in the header: the next blob, as a view into the frame (or a copy). */
  _readHostObject(): Float64Array {
    const n = this.readUint32();
    const at = this.#take(n * 8);
    const buffer = this.#frame.buffer;
    if (at % 8 === 0) return new F64(buffer, at, n);
    // A frame decoded in place from a read chunk may be misaligned: copy (still exact, byte for byte).
    const copy = new F64(n);
    new Uint8Array(copy.buffer).set(new Uint8Array(buffer, at, n * 8));
    return copy;
  }
}

/**
 * Encode one message as a list of buffers to write in order. The Float64Arrays' memory is referenced, not
 * copied, so they must not change until the write completes (the protocol is request/reply, so they don't).
 */
export function encodeFrame(message: unknown): Buffer[] {
  const s = new BlobSerializer();
  s.writeHeader();
  s.writeValue(message);
  const header = s.releaseBuffer();
  const blobStart = align8(4 + header.length);
  const length = blobStart + s.blobBytes;
  if (length > MAX_U32) throw new RangeError(`a sandbox message of ${length} bytes is too large`);
  // Pooled memory is fine here (only written out, never viewed as Float64Array): no ArrayBuffer per message.
  const head = Buffer.allocUnsafe(4 + blobStart);
  head.writeUInt32LE(length, 0);
  head.writeUInt32LE(header.length, 4);
  header.copy(head, 8);
  head.fill(0, 8 + header.length);
  return [head, ...s.blobs];
}

/** Decode one frame body (everything after the length field). Throws on any inconsistency. */
function decodeFrame(frame: Buffer): unknown {
  if (frame.length < 4) throw new RangeError('a frame is shorter than its header length');
  const headerBytes = frame.readUInt32LE(0);
  if (4 + headerBytes > frame.length) throw new RangeError('a frame header runs past the frame');
  const d = new BlobDeserializer(frame.subarray(4, 4 + headerBytes), frame, align8(4 + headerBytes));
  d.readHeader();
  const value: unknown = d.readValue();
  if (d.cursor !== frame.length) throw new RangeError('a frame has bytes that belong to no array');
  return value;
}

class HeaderDeserializer extends v8.Deserializer {
  readonly #makeArray: (n: number) => Float64Array;
  readonly arrays: Float64Array[] = [];
  blobBytes = 0;

  constructor(header: Uint8Array, makeArray: (n: number) => Float64Array) {
    super(header);
    this.#makeArray = makeArray;
  }

  /** Every array of the message is made empty, in blob order; the caller fills it from the channel. */
  _readHostObject(): Float64Array {
    const n = this.readUint32();
    const a = this.#makeArray(n);
    this.arrays.push(a);
    this.blobBytes += n * 8;
    return a;
  }
}

/**
 * Read one frame with blocking reads, for the child: the arrays are allocated by `makeArray` (in the
 * submission's realm) and filled straight from the channel, so the bytes are copied once, not three times
 * (into a frame, out of it, into the submission's realm). `read(into, offset, length)` must fill exactly that
 * range. Throws on an inconsistent frame. `arrays` lists every array of the message in order.
 */
export function readFrameBlocking(
  read: (into: Uint8Array, offset: number, length: number) => void,
  makeArray: (n: number) => Float64Array,
  bytesOf: (a: Float64Array) => Uint8Array,
): { value: unknown; arrays: Float64Array[] } {
  const head = new Uint8Array(8);
  read(head, 0, 8);
  const view = new DataView(head.buffer);
  const length = view.getUint32(0, true);
  const headerBytes = view.getUint32(4, true);
  const blobStart = align8(4 + headerBytes);
  if (blobStart > length) throw new RangeError('a frame header runs past the frame');
  const header = new Uint8Array(blobStart - 4);
  read(header, 0, header.length);
  const d = new HeaderDeserializer(header.subarray(0, headerBytes), makeArray);
  d.readHeader();
  const value: unknown = d.readValue();
  if (blobStart + d.blobBytes !== length) throw new RangeError('a frame has bytes that belong to no array');
  for (const a of d.arrays) {
    const bytes = bytesOf(a);
    read(bytes, 0, bytes.length);
  }
  return { value, arrays: d.arrays };
}

/**
 * Reassembles frames from stream chunks. `onFrame` gets each decoded message; `onError` gets the first
 * problem (an oversized or malformed frame), after which the reader ignores all further input.
 */
export class FrameReader {
  readonly #maxFrameBytes: number;
  readonly #onFrame: (message: unknown) => void;
  readonly #onError: (error: Error) => void;
  /** Bytes of a length prefix split across chunks. */
  readonly #prefix = Buffer.alloc(4);
  #prefixBytes = 0;
  #frame: Buffer | null = null;
  #filled = 0;
  #failed = false;

  constructor(maxFrameBytes: number, onFrame: (message: unknown) => void, onError: (error: Error) => void) {
    this.#maxFrameBytes = maxFrameBytes;
    this.#onFrame = onFrame;
    this.#onError = onError;
  }

  /** Bytes of an unfinished frame are buffered (the stream ended mid-frame if this is true at its end). */
  get partial(): boolean {
    return this.#frame !== null || this.#prefixBytes > 0;
  }

  push(chunk: Buffer): void {
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
        if (length > this.#maxFrameBytes) {
          this.#fail(new RangeError(`a message of ${length} bytes exceeds the limit of ${this.#maxFrameBytes}`));
          return;
        }
        if (chunk.length - at >= length) {
          // The whole frame is in this chunk (small messages): decode it in place, no copy.
          const frame = chunk.subarray(at, at + length);
          at += length;
          this.#deliver(frame);
          continue;
        }
        this.#frame = allocFrame(length);
        this.#filled = 0;
      }
      const frame = this.#frame;
      const take = Math.min(frame.length - this.#filled, chunk.length - at);
      chunk.copy(frame, this.#filled, at, at + take);
      this.#filled += take;
      at += take;
      if (this.#filled < frame.length) return;
      this.#frame = null;
      this.#deliver(frame);
    }
  }

  #deliver(frame: Buffer): void {
    let message: unknown;
    try {
      message = decodeFrame(frame);
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.#onFrame(message);
  }

  #fail(error: Error): void {
    this.#failed = true;
    this.#frame = null;
    this.#onError(error);
  }
}
