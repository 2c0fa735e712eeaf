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
  const draw = fc.double({ min: r.min, max: r.max, noNaN: true });
  return fc.noShrink(r.include.length === 0 ? draw : fc.oneof(draw, fc.constantFrom(...r.include)));
}

export const seedArbitrary = fc.integer({ min: 0, max: 0x7fffffff });

export const falseReject = z.number().gt(0).max(0.01).default(1e-9);
