/**
 * Arrays their owner promises never to change again — the input caches of the properties, whose arrays a batch
 * of grades sends to every child. A batch writes such an array once into a file its children read (see
 * `_inputFile.ts`) instead of through every child's channel. The promise covers the array's whole buffer, so that
 * views into a buffer of many inputs (a sequence's arguments, laid out in blocks) are immutable with it.
 */
const immutable = new WeakSet<ArrayBufferLike>();

/** Declare that `a`'s buffer (all of it) will not be written to again; returns `a`. Writing to it afterwards is a bug. */
export function markImmutable(a: Float64Array): Float64Array {
  immutable.add(a.buffer);
  return a;
}

/** Whether `a` is a view into a buffer declared immutable. */
export function isImmutable(a: Float64Array): boolean {
  return immutable.has(a.buffer);
}
