import fc from 'fast-check';
import { z } from 'zod';

/** A range of dropout rates; `include` values always run first, as fast-check examples. */
export const rateRange = (min: number, max: number, include: number[]) =>
  z
    .strictObject({
      min: z.number().min(0).lt(1).default(min),
      max: z.number().min(0).lt(1).default(max),
      include: z.array(z.number().min(0).lt(1)).default(include),
    })
    .refine((r) => r.min <= r.max, { message: 'min must not exceed max' })
    .refine((r) => r.include.every((p) => p >= r.min && p <= r.max), { message: 'every included rate must lie in [min, max]' })
    .prefault({});

export type RateRange = { readonly min: number; readonly max: number; readonly include: readonly number[] };

/**
 * Rates are not shrunk: shrinking drives p towards 0, where every scale rule gives s ≈ 1 and the
 * counterexample stops telling the rules apart. Lengths and data still shrink.
 */
export function rateArbitrary(r: RateRange): fc.Arbitrary<number> {
  // fc.double draws by bit pattern: nine draws in ten fall below 1e-10, so alone it would leave the middle of the
  // range untested (a fix wrong only for p in [0.57, 0.67] passed). Uniform by value, with a share of the bit-pattern
  // draws for the tiny rates.
  const uniform = fc.integer({ min: 0, max: 0xffffffff }).map((k) => Math.min(r.max, r.min + ((r.max - r.min) * k) / 0xffffffff));
  const draw = fc.oneof({ weight: 3, arbitrary: uniform }, { weight: 1, arbitrary: fc.double({ min: r.min, max: r.max, noNaN: true }) });
  return fc.noShrink(r.include.length === 0 ? draw : fc.oneof(draw, fc.constantFrom(...r.include)));
}

export const seedArbitrary = fc.integer({ min: 0, max: 0x7fffffff });

export const falseReject = z.number().gt(0).max(0.01).default(1e-9);

/** Steps of lengthArbitrary's log scale: one step changes a length by less than 0.03 % up to 10^6. */
const LENGTH_STEPS = 1 << 16;

/**
 * Lengths in [1, max], log-uniform: every decade — 1–9, 10–99, 100–999, … — drawn about equally often. A
 * uniform draw over 1–5000 spends 80 % of its runs on 1000–5000 and gives lengths below 100 2 % of them, yet
 * short inputs are where length-dependent bugs live (a length of 1, an unrolled loop's remainder, a block
 * boundary), and a long one is still drawn in about a quarter of the runs; properties that use it also run
 * `max` itself as an example. Shrinks towards 1 across the whole range, from drawn lengths and examples alike.
 *
 * @example
 * fc.sample(lengthArbitrary(5000), 4); // e.g. [7, 4210, 63, 388]
 */
export function lengthArbitrary(max: number): fc.Arbitrary<number> {
  const span = Math.log(max);
  const toLength = (k: number): number => Math.min(max, Math.max(1, Math.round(Math.exp((k / LENGTH_STEPS) * span))));
  const toStep = (n: unknown): number => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`${String(n)} is not a length in [1, ${max}]`);
    return span === 0 ? 0 : Math.round((Math.log(n) / span) * LENGTH_STEPS);
  };
  return fc.integer({ min: 0, max: span === 0 ? 0 : LENGTH_STEPS }).map(toLength, toStep);
}
