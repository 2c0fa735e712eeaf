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
