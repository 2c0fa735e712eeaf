/**
 * Finite-sample tail bounds used to size samples and set acceptance regions with a stated false-reject rate.
 *
 * Bernstein's inequality: for independent zero-mean Z_i with |Z_i| ≤ M and Σ Var(Z_i) = v,
 *   P(|Σ Z_i| ≥ t) ≤ 2·exp(−(t²/2) / (v + M·t/3)).
 * It holds for every n (no normal approximation), which is what lets us promise "≤ 1e-9".
 */

/** Two-sided Bernstein tail probability. */
export function bernsteinTail(t: number, variance: number, bound: number): number {
  if (t <= 0) return 1;
  if (variance === 0 && bound === 0) return 0;
  return Math.min(1, 2 * Math.exp(-(t * t) / 2 / (variance + (bound * t) / 3)));
}

/** The smallest t with bernsteinTail(t, v, M) ≤ δ: the root of t² − (2/3)·L·M·t − 2·L·v = 0, L = ln(2/δ). */
export function bernsteinHalfWidth(variance: number, bound: number, delta: number): number {
  const L = Math.log(2 / delta);
  const b = (2 / 3) * L * bound;
  return (b + Math.sqrt(b * b + 8 * L * variance)) / 2;
}

/** Wilson score interval for k successes in n trials at ~95 % (z = 1.96). */
export function wilson(k: number, n: number, z = 1.959963984540054): [number, number] {
  if (n === 0) return [0, 1];
  const ph = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (ph + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((ph * (1 - ph)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Samples needed so that, for n iid N(0, σ²) values, P(|Σy²/(nσ²) − 1| > t) ≤ δ. Σy²/σ² is χ²_n, and by
 * Laurent & Massart (2000), P(χ² − n ≥ 2√(nx) + 2x) ≤ e^−x and P(n − χ² ≥ 2√(nx)) ≤ e^−x. The upper side is the
 * wider one: t = 2√(x/n) + 2x/n at x = n·a², a = (√(1 + 2t) − 1)/2; requiring e^−x ≤ δ/2 on each side gives n.
 */
export function chiSquareSamples(t: number, delta: number): number {
  const a = (Math.sqrt(1 + 2 * t) - 1) / 2;
  return Math.ceil(Math.log(2 / delta) / (a * a));
}

/** Samples needed so that the mean of n iid N(0, 1) values exceeds m in absolute value with probability ≤ δ. */
export function gaussianMeanSamples(m: number, delta: number): number {
  return Math.ceil((2 * Math.log(2 / delta)) / (m * m));
}

/**
 * The n, not rounded, at which the Bernstein half-width of a mean of n iid terms (variance `variance` each,
 * centred terms bounded by `bound`) is exactly t at false-reject δ: bernsteinHalfWidth(n·v, M, δ) = n·t solves to
 * n = (2·L·v + (2/3)·L·M·t) / t², L = ln(2/δ).
 */
export function bernsteinSampleSize(t: number, variance: number, bound: number, delta: number): number {
  const L = Math.log(2 / delta);
  return (2 * L * variance + (2 / 3) * L * bound * t) / (t * t);
}

/**
 * Smallest n for which the Bernstein half-width of a mean of n iid terms (variance `variance` each, centred
 * terms bounded by `bound`) is at most t at false-reject δ.
 */
export function bernsteinSamples(t: number, variance: number, bound: number, delta: number): number {
  const ok = (n: number) => bernsteinHalfWidth(n * variance, bound, delta) / n <= t;
  // The closed form, then a step either way past floating-point rounding: the smallest n the check itself passes.
  let n = Math.max(1, Math.ceil(bernsteinSampleSize(t, variance, bound, delta)));
  while (!ok(n)) n++;
  while (n > 1 && ok(n - 1)) n--;
  return n;
}

/**
 * The lower tail of a sum of independent non-negative variables needs no bound on their size (Maurer 2003,
 * Theorem 1): for Z_i ≥ 0, P(Σ(E[Z_i] − Z_i) ≥ s) ≤ exp(−s² / (2·Σ E[Z_i²])). The smallest s with that ≤ δ, for
 * Σ E[Z_i²] = `secondMoments`. It is one-sided: it says how far below its expectation the sum may fall.
 */
export function nonNegativeLowerHalfWidth(secondMoments: number, delta: number): number {
  return Math.sqrt(2 * secondMoments * Math.log(1 / delta));
}

/** How many iid non-negative terms with E[Z²] = `secondMoment` make nonNegativeLowerHalfWidth of their mean ≤ t. */
export function nonNegativeLowerSamples(t: number, secondMoment: number, delta: number): number {
  return Math.ceil((2 * secondMoment * Math.log(1 / delta)) / (t * t));
}

/**
 * The Dvoretzky–Kiefer–Wolfowitz inequality with Massart's constant: for the empirical CDF F_n of n iid draws
 * from F, P(sup_x |F_n(x) − F(x)| > ε) ≤ 2·exp(−2nε²), for every n and every F. The ε at which that is δ. The
 * sup over any set of points is at most the sup over all x, so checking a grid of points keeps the bound.
 */
export function dkwHalfWidth(n: number, delta: number): number {
  return Math.sqrt(Math.log(2 / delta) / (2 * n));
}
