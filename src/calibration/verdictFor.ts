import type { Verdict } from './CalibrationResults.ts';

/**
 * The verdict on a pass-rate interval against the target band. `in-band` only when the whole interval lies
 * inside the band; `too-easy` / `too-hard` when it lies wholly above / below it; otherwise the data cannot
 * tell yet (`inconclusive`). A point estimate inside the band is not enough: 4/15 = 27 % "in 10–40 %" has
 * the interval [10.9 %, 52.0 %].
 *
 * @example
 * verdictFor(wilson(5, 20), [0.1, 0.4]); // 'inconclusive' — [0.112, 0.469] crosses 0.4
 */
export function verdictFor(ci: readonly [number, number], band: readonly [number, number]): Verdict {
  const [lo, hi] = ci;
  const [bandLo, bandHi] = band;
  if (lo > bandHi) return 'too-easy';
  if (hi < bandLo) return 'too-hard';
  if (lo >= bandLo && hi <= bandHi) return 'in-band';
  return 'inconclusive';
}
