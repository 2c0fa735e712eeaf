import fc from 'fast-check';
import { z } from 'zod';
import { type Distribution, distributionNames, distributions, sample } from './_distributions.ts';
import { checkBatched, fmt } from './_check.ts';
import { LayerPlan, layerInterfaceParams } from './_layer.ts';
import { falseReject, rateArbitrary, rateRange, seedArbitrary } from './_params.ts';
import { bernsteinHalfWidth, bernsteinSampleSize } from './_stats.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/** Σx², max x² and Σw² (w = x²/Σx²) of an input; memoized because sample() shares inputs across grades. */
interface Moments {
  readonly s2: number;
  readonly max2: number;
  readonly sw2: number;
}
const momentsCache = new WeakMap<Float64Array, Moments>();
function momentsOf(x: Float64Array): Moments {
  const hit = momentsCache.get(x);
  if (hit !== undefined) return hit;
  const n = x.length;
  let s2 = 0;
  let max2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]! * x[i]!;
    s2 += v;
    if (v > max2) max2 = v;
  }
  let sw2 = 0;
  for (let i = 0; i < n; i++) {
    const w = (x[i]! * x[i]!) / s2;
    sw2 += w * w;
  }
  const m = { s2, max2, sw2 };
  momentsCache.set(x, m);
  return m;
}

/**
 * Σy²/Σx² within a tolerance of 1, with a stated false-reject probability.
 *
 * Conditional on the input x, a correct layer gives R = Σ m_i·w_i / q with w_i = x_i²/Σx² and independent
 * m_i ~ Bernoulli(q), q = 1 − p. So R − 1 = Σ Z_i with Z_i = w_i(m_i − q)/q: zero mean, Var = (p/q)·Σw_i²,
 * |Z_i| ≤ w_i·max(p, q)/q. Bernstein's inequality then bounds P(|R − 1| ≥ t) for *this* x exactly, whatever
 * the input distribution. Σw_i² ≈ κ/n (κ the kurtosis), so the sample size for a false-reject rate δ is about
 * n ≈ 2·ln(2/δ)·κ·(p/q)/t²: sized per p and per distribution, not one huge n. We start there and grow n
 * until the bound computed from the actual sample is ≤ δ.
 */
export const secondMomentRatio = defineProperty({
  name: 'second-moment-ratio',
  summary: '|Σy²/Σx² − 1| ≤ tolerance on zero-mean inputs, false-reject ≤ falseReject per check',
  params: z.strictObject({
    ...layerInterfaceParams,
    tolerance: z.number().gt(0).lt(1).default(0.1),
    falseReject,
    p: rateRange(0, 0.95, [0, 0.05, 0.5, 0.9, 0.95]),
    distributions: z.array(z.enum(distributionNames as [Distribution, ...Distribution[]])).min(1).default([...distributionNames]),
    scale: z
      .strictObject({ min: z.number().gt(0).default(1e-3), max: z.number().gt(0).default(1e3) })
      .refine((s) => s.min <= s.max, { message: 'min must not exceed max' })
      .prefault({}),
    runs: z.int().min(1).max(1000).default(8),
    maxSamples: z.int().min(1000).default(4_000_000),
  }),
  falseRejectBound: (params) => (params.runs + params.p.include.length) * params.falseReject,
  async run(ctx, params) {
    let largestN = 0;
    let worstRatioError = 0;
    const dist = fc.constantFrom(...params.distributions);
    const logScale = fc.double({ min: Math.log10(params.scale.min), max: Math.log10(params.scale.max), noNaN: true });
    // Every distribution appears among the examples; the largest rates, which need the most samples
    // (n ∝ κ·p/q), are paired with the lightest tails, so the fixed cases cost about half as much. Heavy tails
    // at high p are still drawn by the random runs, and every run keeps its ≤ falseReject bound.
    const byRateDesc = [...params.p.include].sort((a, b) => b - a);
    const byKurtosis = [...params.distributions].sort((a, b) => distributions[a] - distributions[b]);
    const examples = byRateDesc.map((p, i): [number, Distribution, number, number, number] => [p, byKurtosis[i % byKurtosis.length]!, 0, 1, 2]);
    return checkBatched(
      ctx.oracle,
      'second-moment-ratio',
      [rateArbitrary(params.p), dist, logScale, seedArbitrary, seedArbitrary],
      (p, d, log10Scale, dataSeed, maskSeed) => {
        const scale = 10 ** log10Scale;
        const q = 1 - p;
        // Start from the variance term alone (Σw² ≈ κ/n); then the bound of the actual sample decides. Both of
        // Bernstein's terms shrink as 1/n (Σw² and max x²/Σx² do, up to the slow growth of max x²), so the n at
        // which the half-width meets the tolerance is solved for from the current sample's terms per unit (n·v,
        // n·b). That lands within a few percent of the smallest n that works; a fixed 30 % margin cost as much again.
        let n = Math.max(256, Math.ceil(bernsteinSampleSize(params.tolerance, distributions[d] * (p / q), 0, params.falseReject)));
        let x: Float64Array;
        let sx: number;
        let halfWidth: number;
        for (;;) {
          x = sample(d, n, dataSeed, scale);
          const { s2, max2, sw2 } = momentsOf(x);
          sx = s2;
          const variance = (p / q) * sw2;
          const bound = ((max2 / s2) * Math.max(p, q)) / q;
          halfWidth = p === 0 ? 0 : bernsteinHalfWidth(variance, bound, params.falseReject);
          if (halfWidth <= params.tolerance) break;
          if (n >= params.maxSamples) throw new Error(`second-moment-ratio: cannot reach false-reject ${params.falseReject} at p = ${p} within ${params.maxSamples} samples`);
          const solved = bernsteinSampleSize(params.tolerance, variance * n, bound * n, params.falseReject);
          n = Math.min(params.maxSamples, Math.max(n + 64, Math.ceil(solved * 1.01)));
        }
        const plan = new LayerPlan(ctx, params);
        const layer = plan.newLayer(p, maskSeed);
        const out = plan.forward(layer, x, `p = ${fmt(p)}, ${d}, n = ${n}`);
        return plan.check((take) => {
          largestN = Math.max(largestN, n);
          take(layer.made);
          const { y } = take(out);
          let sy = 0;
          for (let i = 0; i < n; i++) sy += y[i]! * y[i]!;
          const ratio = sy / sx;
          if (!(Math.abs(ratio - 1) <= params.tolerance)) {
            throw new PropertyFailure(
              `E[Y²]/E[X²] = ${fmt(ratio)} at p = ${fmt(p)} (${d} input, scale ${fmt(scale)}, n = ${n}); it must be within ±${params.tolerance} of 1`,
            );
          }
          worstRatioError = Math.max(worstRatioError, Math.abs(ratio - 1));
        });
      },
      {
        seed: ctx.seed,
        numRuns: params.runs,
        examples,
        shrink: false,
        passedMessage: () =>
          `${params.runs} runs: |Σy²/Σx² − 1| ≤ ${fmt(worstRatioError)} (tolerance ${params.tolerance}, false-reject ≤ ${params.falseReject} per run, n up to ${largestN})`,
        metrics: () => ({ largestSample: largestN, worstRatioError }),
      },
    );
  },
});
