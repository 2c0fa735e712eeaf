/**
 * The child's source of uniform doubles for injected rngs and Math.random: each call fills a block of values into
 * an array of the submission's realm (no object of the harness's realm is handed over).
 *
 * The stream is exactly pure-rand's `uniformFloat64` over `xoroshiro128plusFromState(state)` — two 32-bit outputs
 * per double, the first masked to 26 bits and the second to 27 (spec/sandbox/blockRng.spec.ts compares them) —
 * but with the generator's four state words in locals of one loop. pure-rand's object-based generator made V8 optimize
 * three functions (next, uniformFloat64 and the loop) in every child, which cost more than the loop itself;
 * this is one small loop.
 *
 * The state is not `xoroshiro128plus(seed)`'s: the parent draws the inputs from `xoroshiro128plus(seed)` with
 * seeds from the same fast-check run, and equal seeds do occur — the mask then was a copy of the uniforms the
 * input was made from, and a correct layer was rejected. A state
 * spread by a mixer with constants of its own is unrelated to every state the parent uses, and dense from the
 * first draw (the first value of `xoroshiro128plus(seed)` is ≈ 1 − seed/2³²).
 */

/** murmur3's 32-bit finalizer: every input bit affects every output bit. */
function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** The xoroshiro128+ state (pure-rand's order: s01, s00, s11, s10) a block source starts from. */
export function blockRngState(seed: number): [number, number, number, number] {
  const s = seed | 0;
  return [mix32(s ^ 0x6a09e667), mix32(s ^ 0xbb67ae85), mix32(s ^ 0x3c6ef372) | 1, mix32(s ^ 0xa54ff53a)];
}

/**
 * Values per block. The fill loop runs to this constant, never to `into.length`: the arrays belong to the
 * submission's realm, whose typed-array getters it may have replaced.
 */
export const RNG_BLOCK = 4096;

const SCALE26 = 2 ** -26;
const SCALE53 = 2 ** -53;

/** A function that fills the next RNG_BLOCK uniform doubles in [0, 1) of the stream for `seed` into `into`. */
export function blockSource(seed: number): (into: Float64Array) => void {
  let [s01, s00, s11, s10] = blockRngState(seed);
  return (into) => {
    let a01 = s01;
    let a00 = s00;
    let a11 = s11;
    let a10 = s10;
    for (let i = 0; i < RNG_BLOCK; i++) {
      // Two steps of xoroshiro128+ on 32-bit halves (pure-rand's next()), then uniformFloat64's combination.
      const hi = (a00 + a10) & 0x3ffffff;
      let x0 = a10 ^ a00;
      let x1 = a11 ^ a01;
      let t00 = a00;
      let t01 = a01;
      a00 = (t00 << 24) ^ (t01 >>> 8) ^ x0 ^ (x0 << 16);
      a01 = (t01 << 24) ^ (t00 >>> 8) ^ x1 ^ ((x1 << 16) | (x0 >>> 16));
      a10 = (x1 << 5) ^ (x0 >>> 27);
      a11 = (x0 << 5) ^ (x1 >>> 27);
      const lo = (a00 + a10) & 0x7ffffff;
      x0 = a10 ^ a00;
      x1 = a11 ^ a01;
      t00 = a00;
      t01 = a01;
      a00 = (t00 << 24) ^ (t01 >>> 8) ^ x0 ^ (x0 << 16);
      a01 = (t01 << 24) ^ (t00 >>> 8) ^ x1 ^ ((x1 << 16) | (x0 >>> 16));
      a10 = (x1 << 5) ^ (x0 >>> 27);
      a11 = (x0 << 5) ^ (x1 >>> 27);
      into[i] = hi * SCALE26 + lo * SCALE53;
    }
    s01 = a01;
    s00 = a00;
    s11 = a11;
    s10 = a10;
  };
}

/** A source whose every value is `value` (a rigged generator; see OracleArg). */
export function constantSource(value: number): (into: Float64Array) => void {
  return (into) => {
    for (let i = 0; i < RNG_BLOCK; i++) into[i] = value;
  };
}
