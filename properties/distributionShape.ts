import { z } from 'zod';
import { returned } from './_call.ts';
import { checkDimScale, checkInjectedRng, dimScaleSchema, dimScaleValue } from './_dimScale.ts';
import { checkProperty, fmt } from './_check.ts';
import { type CaseDraw, callSchema, caseArbitrary, checkCall, describeCall, materialize } from './_inputs.ts';
import { lagStatisticCount, lagStatistics } from './_lagPairs.ts';
import { falseReject } from './_params.ts';
import { repeatCalls } from './_repeatCalls.ts';
import { bernsteinHalfWidth, dkwHalfWidth } from './_stats.ts';
import { nonFinite, numbersOf } from './_values.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

const dimName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);

/** Distributions a random function's outputs may be stated to have, standardised (mean 0, variance 1). */
const families = ['gaussian', 'uniform'] as const;
type Family = (typeof families)[number];

/**
 * Φ, the standard normal CDF, by Marsaglia's series (J. Stat. Softw. 11(4), 2004): absolute error about 1e-15
 * for |x| ≤ 8 (Φ(−8) ≈ 6e-16 beyond). Only the grid's points are evaluated, never the samples.
 */
function normalCdf(x: number): number {
  if (x < -8) return 0;
  if (x > 8) return 1;
  let s = x;
  let t = 0;
  let b = x;
  const q = x * x;
  for (let i = 1; s !== t; ) {
    t = s;
    i += 2;
    b *= q / i;
    s = t + b;
  }
  return 0.5 + s * Math.exp(-0.5 * q - 0.91893853320467274178);
}

/** The standardised CDF of a family. */
export function cdf(family: Family, x: number): number {
  if (family === 'gaussian') return normalCdf(x);
  const r = Math.sqrt(3);
  return Math.min(1, Math.max(0, (x + r) / (2 * r)));
}

/** The x with cdf(x) = u, by bisection (the grid is computed once per family). */
function quantile(family: Family, u: number): number {
  let lo = -9;
  let hi = 9;
  for (let i = 0; i < 200 && hi - lo > 1e-13; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(family, mid) < u) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Equal-probability points for the DKW statistic, and points in the tails where a wrong shape shows first. */
const GRID = 128;
const TAIL_POINTS = [2, 2.25, 2.5, 2.75, 3, 3.5];

/** A family's grid: sorted points x_j (in standard deviations) with F(x_j). */
interface Grid {
  readonly x: Float64Array;
  readonly F: Float64Array;
}
const grids = new Map<Family, Grid>();
function gridOf(family: Family): Grid {
  const hit = grids.get(family);
  if (hit !== undefined) return hit;
  const xs = new Set<number>();
  for (let k = 1; k < GRID; k++) xs.add(quantile(family, k / GRID));
  if (family === 'gaussian') for (const t of TAIL_POINTS) xs.add(t).add(-t);
  const x = Float64Array.from(xs).sort();
  const grid = { x, F: x.map((v) => cdf(family, v)) };
  grids.set(family, grid);
  return grid;
}

/** The median of |Z|: a score sign(|z| − it) is ±1 with probability ½ each. */
function medianAbs(family: Family): number {
  return family === 'gaussian' ? 0.6744897501960817 : Math.sqrt(3) / 2;
}

/** Lags within one call's values (calls concatenated); a row's length and one call's length are added. */
const LAGS = [1, 2, 3, 4, 8];

/** A call's whole result is analysed when it holds at most this many times `samples` values. */
const WHOLE = 8;

/** Rows shorter than this are not checked for exact repeats (their values are checked by the lag statistics). */
const MIN_ROW = 4;

/**
 * The outputs of a random function are iid draws from the stated distribution: a family (normal, uniform) with
 * variance value / (sum of the `divideBy` dimensions), e.g. He initialisation: N(0, 2/fanIn). Each run draws a
 * case and calls it with fresh injected-rng streams until it has `samples` values (or made `maxCalls` calls; the
 * bounds hold at every size), and checks:
 *
 * - shape: the empirical CDF of w/σ against the family's at 127 equal-probability points and points in the
 *   normal's tails — the largest gap within the DKW bound (δ/4), and each point within Bernstein's bound for
 *   its binomial count (δ/4 over all points). Uniform, Rademacher, truncated-and-rescaled weights with the right
 *   variance fail here;
 * - independence: the scores sign(w) and sign(|w|/σ − median|Z|) — ±1 with probability ½ each, independent,
 *   for a correct function — uncorrelated at lags 1–4, 8, one row (`rows`), half a result and one call
 *   (lagStatistics, δ/2 over all statistics): antithetic pairs, mirrored halves, repeated rows, values reused
 *   across calls fail here;
 * - no two calls with different seeds return the same values (when a run makes several; `reproducible` checks
 *   that for every result), and no row of one call repeats another exactly (rows of at least 4 values): for
 *   continuous draws rounded to doubles both have probability far below 1e-15.
 *
 * A run fails a correct function with probability at most δ (`falseReject`).
 */
export const distributionShape = defineProperty({
  name: 'distribution-shape',
  summary: 'outputs of a random function are iid from the stated distribution: CDF within the DKW and Bernstein bounds, no serial dependence, no repeats (false-reject ≤ falseReject per run)',
  params: z.strictObject({
    call: callSchema,
    /** The family of a correct implementation's outputs, with mean 0. */
    distribution: z.enum(families),
    /** Var(Y) of a correct implementation: value / (sum of these dimensions; 1 when none). */
    variance: dimScaleSchema,
    /** The result is rows of this dimension's length (row-major), e.g. fanIn: rows must not repeat. */
    rows: dimName.optional(),
    /** Values per run (all calls pooled), unless maxCalls calls give fewer; the tests' power grows with it. */
    samples: z.int().min(1000).max(10_000_000).default(20_000),
    falseReject,
    runs: z.int().min(1).max(1000).default(6),
    /** Most calls for one run (each costs a fresh generator in the child, so tiny results are not pooled for ever). */
    maxCalls: z.int().min(1).max(100_000).default(256),
    /**
     * Fewest calls for one run: a long run on one case, each call contributing its first values to the sample, so
     * that a function whose draws change after many calls (a counter switching to another distribution) shows.
     */
    minCalls: z.int().min(1).max(100_000).default(1),
  }),
  falseRejectBound: (params) => params.runs * params.falseReject,
  check(params, issue) {
    checkCall(params.call, issue);
    checkDimScale(params.call, params.variance, 'variance', 'a variance', issue);
    if (params.rows !== undefined && params.call.dims[params.rows] === undefined) issue(`unknown dimension "${params.rows}"; declare it under call.dims`, ['rows']);
    checkInjectedRng(params.call, issue);
    if (params.minCalls > params.maxCalls) issue('minCalls must not exceed maxCalls', ['minCalls']);
  },
  async run(ctx, params) {
    const delta = params.falseReject;
    const grid = gridOf(params.distribution);
    const half = medianAbs(params.distribution);
    let calls = 0;
    let worstDkw = 0;
    let worstPoint = 0;
    let worstCorrelation = 0;
    return checkProperty(
      [caseArbitrary(params.call)],
      async (draw: CaseDraw) => {
        const sd = Math.sqrt(dimScaleValue(params.variance, draw.dims));
        const what = describeCall(params.call, ctx.subject, materialize(params.call, draw));
        const [first] = await repeatCalls(ctx.oracle, ctx.subject, params.call, draw, 0, 1);
        let perCall = 0;
        const valuesOf = (outcome: typeof first, k: number): ArrayLike<number> => {
          const r = returned(outcome!, what, params.call);
          const bad = nonFinite(r.value, 'result');
          if (bad !== null) throw new PropertyFailure(`${bad}, for ${what}`);
          const ys = numbersOf(r.value);
          if (ys === null) throw new PropertyFailure(`returned no numbers (${r.value.type}), for ${what}`);
          if (ys.length === 0) throw new PropertyFailure(`returned no values, for ${what}`);
          if (k > 0 && ys.length !== perCall) throw new PropertyFailure(`returned ${ys.length} values with one rng seed and ${perCall} with another, for ${what}`);
          return ys;
        };
        const y0 = valuesOf(first, 0);
        perCall = y0.length;
        // Up to maxCalls calls: the bounds hold at every sample size, a smaller sample only has less power. One call
        // of up to WHOLE × samples values is used whole, so that a pattern spanning the result (a second half that
        // mirrors the first) can show; beyond that, each call's first `used` values (a fixed subset of iid draws is iid).
        const count = Math.max(params.minCalls, Math.min(params.maxCalls, Math.ceil(params.samples / perCall)));
        const used = count === 1 && perCall <= WHOLE * params.samples ? perCall : Math.min(perCall, Math.ceil(params.samples / count));
        const rest = count > 1 ? await repeatCalls(ctx.oracle, ctx.subject, params.call, draw, 1, count - 1) : [];
        calls += count;
        const z = new Float64Array(count * used);
        const copy = (ys: ArrayLike<number>, k: number): void => {
          for (let i = 0; i < used; i++) z[k * used + i] = ys[i]! / sd;
        };
        copy(y0, 0);
        rest.forEach((outcome, j) => {
          const ys = valuesOf(outcome, j + 1);
          let same = true;
          for (let i = 0; i < perCall && same; i++) same = ys[i] === y0[i];
          if (same) throw new PropertyFailure(`calls with two different rng seeds returned the same ${perCall} values; the randomness must come from the injected generator, for ${what}`);
          copy(ys, j + 1);
        });
        const rowLength = params.rows === undefined ? 0 : (draw.dims[params.rows] ?? 0);
        if (rowLength >= MIN_ROW && perCall % rowLength === 0) {
          const repeat = repeatedRow(y0, rowLength);
          if (repeat !== null) throw new PropertyFailure(`rows ${repeat[0]} and ${repeat[1]} (of ${rowLength} values each) are the same; every row must be drawn independently, for ${what}`);
        }

        // Shape: the empirical CDF at the grid points.
        const n = z.length;
        const below = new Float64Array(grid.x.length + 1);
        for (let i = 0; i < n; i++) below[upperIndex(grid.x, z[i]!)]!++;
        const dkw = dkwHalfWidth(n, delta / 4);
        let cumulative = 0;
        for (let j = 0; j < grid.x.length; j++) {
          cumulative += below[j]!;
          const F = grid.F[j]!;
          const got = cumulative / n;
          const gap = Math.abs(got - F);
          const point = bernsteinHalfWidth(n * F * (1 - F), Math.max(F, 1 - F), delta / 4 / grid.x.length) / n;
          worstDkw = Math.max(worstDkw, gap / dkw);
          worstPoint = Math.max(worstPoint, gap / point);
          if (!(gap <= dkw && gap <= point)) {
            throw new PropertyFailure(
              `${fmt(got * 100)} % of ${n} values are ≤ ${fmt(grid.x[j]!)} standard deviations (√${fmt(sd * sd)}), where a ${params.distribution} distribution has ${fmt(F * 100)} % (allowed ±${fmt(Math.min(dkw, point) * 100)} %); the values must be ${params.distribution}, for ${what}`,
            );
          }
        }

        // Independence: two ±1 scores at lags within rows, across rows and across calls.
        const halves = used === perCall && perCall >= 2 ? [Math.floor(perCall / 2), Math.ceil(perCall / 2)] : [];
        const lags = [...new Set([...LAGS, ...(rowLength > 0 ? [rowLength] : []), ...halves, used])];
        const perStatistic = delta / 2 / (2 * lagStatisticCount(lags));
        const sign = new Float64Array(n);
        const size = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          sign[i] = z[i]! < 0 ? -1 : 1;
          size[i] = Math.abs(z[i]!) > half ? 1 : -1;
        }
        for (const [scores, name] of [[sign, 'signs'], [size, 'magnitudes']] as const) {
          for (const s of lagStatistics(scores, lags, 1, 1, perStatistic)) {
            worstCorrelation = Math.max(worstCorrelation, Math.abs(s.correlation) / s.halfWidth);
            if (!(Math.abs(s.correlation) <= s.halfWidth)) {
              const where =
                s.lag === used && count > 1 ? 'the same position in two calls' : s.lag === rowLength ? 'the same column of consecutive rows' : halves.includes(s.lag) ? 'the two halves of a result' : `values ${s.lag} apart`;
              throw new PropertyFailure(`the ${name} of ${where} are correlated: ${fmt(s.correlation)} over ${s.pairs} pairs, beyond ±${fmt(s.halfWidth)}; the values must be independent, for ${what}`);
            }
          }
        }
      },
      {
        seed: ctx.seed,
        numRuns: params.runs,
        shrink: false,
        metrics: () => ({ calls, worstDkwGapOverBound: worstDkw, worstPointGapOverBound: worstPoint, worstCorrelationOverBound: worstCorrelation }),
        passedMessage: () =>
          `${params.runs} runs: ${params.distribution} CDF within ${fmt(worstDkw * 100)} % of the DKW bound and ${fmt(worstPoint * 100)} % of the pointwise bounds, serial correlations within ${fmt(worstCorrelation * 100)} % of theirs, no repeats (≥ ${params.samples} values per run, false-reject ≤ ${params.falseReject} per run)`,
      },
    );
  },
});

/** The number of grid points below v: the index of v's bin (v ≤ x_j counts towards point j). */
function upperIndex(x: Float64Array, v: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Two rows of `length` values that are equal element for element, or null. */
function repeatedRow(y: ArrayLike<number>, length: number): [number, number] | null {
  const seen = new Map<string, number[]>();
  const rows = y.length / length;
  for (let r = 0; r < rows; r++) {
    const key = `${y[r * length]},${y[r * length + 1]},${y[r * length + 2]},${y[r * length + 3]}`;
    const earlier = seen.get(key) ?? [];
    for (const e of earlier) {
      let same = true;
      for (let i = 0; i < length && same; i++) same = Object.is(y[e * length + i], y[r * length + i]);
      if (same) return [e, r];
    }
    earlier.push(r);
    seen.set(key, earlier);
  }
  return null;
}
