import { closeSync, existsSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isImmutable } from '../immutableArrays.ts';

/** A batch's input file grows up to this; arrays beyond it go through the channel as usual. */
const MAX_BYTES = 256 * 1024 * 1024;

/**
 * One file per batch holding the immutable input arrays its grades send (the properties' cached inputs, the
 * same for every workspace graded with one seed): the parent writes each array once, and every child reads it
 * with `pread` from a descriptor it inherited (fd 4), instead of the parent writing it again into each child's
 * channel — that write was the largest single cost left in the grading process.
 *
 * The file is created 0600 in /dev/shm (memory, not disk) or the temp directory and unlinked at once: only the
 * descriptors remain. Children get a second descriptor opened read-only, so a child that escaped its sandbox
 * could still not change what the other children read (and the parent checks every reply against its own
 * arrays, never against the file).
 */
export class InputFile {
  readonly #fd: number;
  /** The read-only descriptor handed to children. */
  readonly childFd: number;
  #size = 0;
  /** Where each immutable buffer starts in the file: a buffer is written once, whole, and its views placed in it. */
  readonly #offsets = new WeakMap<ArrayBufferLike, number>();
  #closed = false;
  readonly #onClose: (() => void)[] = [];

  private constructor(fd: number, childFd: number) {
    this.#fd = fd;
    this.childFd = childFd;
  }

  /** A new, empty input file, or null when none can be made here (the batch then sends everything as before). */
  static open(): InputFile | null {
    const dir = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    const file = path.join(dir, `rltask-inputs-${process.pid}-${randomBytes(8).toString('hex')}`);
    const opened: number[] = [];
    try {
      opened.push(openSync(file, 'wx+', 0o600));
      opened.push(openSync(file, 'r'));
      unlinkSync(file);
      return new InputFile(opened[0]!, opened[1]!);
    } catch {
      for (const fd of opened) closeSync(fd);
      if (opened.length > 0) {
        try {
          unlinkSync(file);
        } catch {
          // Already gone.
        }
      }
      return null;
    }
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Where `a`'s bytes are in the file, writing them there the first time; undefined for an array not marked
   * immutable, once the file is full, or after `close()`.
   */
  place(a: Float64Array): number | undefined {
    if (this.#closed || !isImmutable(a)) return undefined;
    const known = this.#offsets.get(a.buffer);
    if (known !== undefined) return known + a.byteOffset;
    // Whole buffers, so that every offset in the file stays a multiple of 8 and every later view is found.
    const bytes = new Uint8Array(a.buffer);
    if (this.#size + bytes.length > MAX_BYTES) return undefined;
    const at = this.#size;
    for (let done = 0; done < bytes.length; ) done += writeSync(this.#fd, bytes, done, bytes.length - done, at + done);
    this.#size += bytes.length;
    this.#offsets.set(a.buffer, at);
    return at + a.byteOffset;
  }

  /**
   * Call `fn` when the file is closed (at once if it is): a launcher that handed the file to a process that
   * outlives the batch (the Python zygote) has that process let go of it.
   */
  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.push(fn);
  }

  /** Close both descriptors (children keep their own copies until they exit). Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
    closeSync(this.childFd);
    for (const fn of this.#onClose.splice(0)) fn();
  }
}
