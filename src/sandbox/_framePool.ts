/**
 * Memory for large reply frames that is used again instead of freed: a reply whose arrays the caller promises not
 * to keep (Oracle.runLeased) is received into a buffer from here, and the buffer comes back when the caller is done.
 *
 * Why: a reply of tens of megabytes (a dropout layer at a task's own input size) received into fresh memory costs
 * a page fault per page, and on a VM with a paravirtualized MMU those faults cost more than receiving and checking
 * the bytes; memory that was used before is already mapped.
 *
 * Only the grading process writes these buffers (a frame is filled from the channel before it is decoded), and a
 * buffer is handed to one frame at a time: `lease` returns a release function that works once.
 */

/** Frames below this size are allocated as before: their pages are few, and small allocations are reused anyway. */
export const LEASE_MIN_BYTES = 1024 * 1024;
/** Buffers are allocated in whole MiB, so that replies of slightly different sizes share them. */
const GRAIN = 1024 * 1024;
const WASM_PAGE = 64 * 1024;
/** What the pool keeps while nobody uses it; beyond this a returned buffer is left to the garbage collector. */
const KEEP_BYTES = 256 * 1024 * 1024;

/** The one part of the WebAssembly API used here (the project's type libraries do not declare it). */
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer } };

/**
 * `bytes` (a multiple of 64 KiB) of memory that a fork of this process leaves alone: a WebAssembly memory, which V8
 * maps like its own heap, not to be inherited by a child process. Memory from malloc (a Buffer's, an ArrayBuffer's)
 * is write-protected by every fork — and the grading process spawns a child per grade — so the next write into each
 * of its pages takes a page fault, which on a VM with a paravirtualized MMU costs more than the write.
 */
export function forkSafeMemory(bytes: number): ArrayBuffer {
  const pages = bytes / WASM_PAGE;
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer;
  } catch {
    // V8 reserves address space around every WebAssembly memory: under a tight address-space limit it refuses,
    // and ordinary memory does the same job, only at the cost above.
    return new ArrayBuffer(bytes);
  }
}

/** Memory a FrameReader may receive one frame into, and how to give it back. */
export interface FrameLease {
  readonly buffer: Buffer;
  readonly release: () => void;
}

const free: ArrayBuffer[] = [];
let freeBytes = 0;

/**
 * A buffer of exactly `length` bytes backed by pooled memory (its contents are stale: the caller overwrites all of
 * it), and the function that gives the memory back. Calling `release` more than once does nothing; not calling it
 * only means the memory is freed by the garbage collector instead of reused.
 */
export function leaseFrame(length: number): FrameLease {
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    const size = free[i]!.byteLength;
    if (size >= length && (best === -1 || size < free[best]!.byteLength)) best = i;
  }
  let memory: ArrayBuffer;
  if (best === -1) memory = forkSafeMemory(Math.ceil(length / GRAIN) * GRAIN);
  else {
    memory = free[best]!;
    free.splice(best, 1);
    freeBytes -= memory.byteLength;
  }
  let held = true;
  return {
    buffer: Buffer.from(memory, 0, length),
    release: () => {
      if (!held) return;
      held = false;
      if (freeBytes + memory.byteLength > KEEP_BYTES) return;
      free.push(memory);
      freeBytes += memory.byteLength;
    },
  };
}
