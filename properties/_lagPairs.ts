import { bernsteinHalfWidth } from './_stats.ts';

/** One lag's pairs in one phase: the mean product of the scores over the variance (a correlation), and its bound. */
export interface LagStatistic {
  readonly lag: number;
  readonly phase: 0 | 1;
  readonly pairs: number;
  /** Mean of c_i·c_{i+lag} over the phase's pairs, divided by the scores' variance. */
  readonly correlation: number;
  /** The largest |correlation| a null sequence exceeds with probability ≤ δ. */
  readonly halfWidth: number;
}

/**
 * Serial independence of a sequence of centred scores c_i which, for a correct implementation, are independent,
 * with mean 0, variance `variance` and |c_i| ≤ `bound`.
 *
 * The pairs (i, i + k) of lag k are split in two phases by the block of k that i lies in (⌊i/k⌋ even or odd).
 * Within one phase no index is used twice, so the products c_i·c_{i+k} are independent, with mean 0, variance
 * `variance`² and |·| ≤ `bound`², and Bernstein's inequality bounds their mean exactly; a dependence at lag k
 * (a shared draw, a copied block, antithetic pairs) shows in one phase at least, whichever offset it starts at.
 * Every statistic gets false-reject `delta`.
 */
export function lagStatistics(c: Float64Array, lags: readonly number[], variance: number, bound: number, delta: number): LagStatistic[] {
  const out: LagStatistic[] = [];
  const n = c.length;
  for (const lag of lags) {
    if (lag < 1 || lag >= n) continue;
    const sums = [0, 0];
    const counts = [0, 0];
    for (let start = 0; start + lag < n; start += lag) {
      const phase = (start / lag) & 1;
      const end = Math.min(start + lag, n - lag);
      let s = 0;
      for (let i = start; i < end; i++) s += c[i]! * c[i + lag]!;
      sums[phase]! += s;
      counts[phase]! += end - start;
    }
    for (const phase of [0, 1] as const) {
      const pairs = counts[phase]!;
      if (pairs === 0) continue;
      const half = bernsteinHalfWidth(pairs * variance * variance, bound * bound, delta) / pairs / variance;
      out.push({ lag, phase, pairs, correlation: sums[phase]! / pairs / variance, halfWidth: half });
    }
  }
  return out;
}

/** How many statistics `lagStatistics` returns at most for these lags (two phases each), to split δ among them. */
export function lagStatisticCount(lags: readonly number[]): number {
  return 2 * lags.length;
}
