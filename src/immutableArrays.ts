/**
 * Arrays their owner promises never to change again — the input caches of the properties, whose arrays a batch
 * of grades sends to every child. A batch writes such an array once into a file its children read (see
 * `_inputFile.ts`) instead of through every child's channel.
 */
const immutable = new WeakSet<Float64Array>();

/** Declare that `a` will not be written to again; returns `a`. Writing to it afterwards is a bug. */
export function markImmutable(a: Float64Array): Float64Array {
  immutable.add(a);
  return a;
}

export function isImmutable(a: Float64Array): boolean {
  return immutable.has(a);
}
