import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import {
  bernsteinHalfWidth,
  bernsteinSampleSize,
  bernsteinSamples,
  bernsteinTail,
  dkwHalfWidth,
  nonNegativeLowerHalfWidth,
  nonNegativeLowerSamples,
  wilson,
} from '../../properties/_stats.ts';

describe('statistics', () => {
  it('bernsteinHalfWidth inverts bernsteinTail', () => {
    for (const [v, m, d] of [[1e-4, 1e-5, 1e-9], [0.25 / 2e4, 0.5 / 2e4, 1e-9], [1e-6, 0, 1e-3]] as const) {
      const t = bernsteinHalfWidth(v, m, d);
      assert.ok(Math.abs(bernsteinTail(t, v, m) - d) / d < 1e-9, `${v} ${m} ${d}`);
      assert.ok(bernsteinTail(t * 0.99, v, m) > d);
    }
  });

  it('bernsteinSampleSize is the n at which the half-width of a mean of n terms is exactly t', () => {
    for (const [t, v, m, d] of [[0.025, 0.25, 0.5, 1e-9], [0.1, 19 * 3, 19 * 2.7e-4 * 84937, 1e-9], [0.05, 1, 0, 1e-6]] as const) {
      const n = bernsteinSampleSize(t, v, m, d);
      assert.ok(Math.abs(bernsteinHalfWidth(n * v, m, d) / n - t) / t < 1e-9, `${t} ${v} ${m} ${d}`);
    }
  });

  it('bernsteinSamples is the smallest whole n whose half-width is within t', () => {
    for (const [t, v, m, d] of [[0.025, 0.0475, 0.95, 1e-9], [0.025, 0.25, 0.5, 1e-9], [0.05, 0.8, 2, 1e-9], [0.3, 1, 1, 1e-3]] as const) {
      const n = bernsteinSamples(t, v, m, d);
      assert.ok(bernsteinHalfWidth(n * v, m, d) / n <= t);
      assert.ok(n === 1 || bernsteinHalfWidth((n - 1) * v, m, d) / (n - 1) > t, `${t} ${v} ${m} ${d}: ${n - 1} would do`);
    }
  });

  it('wilson(5, 20) is the interval the calibration issue quotes', () => {
    const [lo, hi] = wilson(5, 20);
    assert.equal(lo.toFixed(3), '0.112');
    assert.equal(hi.toFixed(3), '0.469');
  });

  it("wilson(4, 15) is the original task's [10.9 %, 52.0 %]", () => {
    const [lo, hi] = wilson(4, 15);
    assert.equal((lo * 100).toFixed(1), '10.9');
    assert.equal((hi * 100).toFixed(1), '52.0');
  });

  it('nonNegativeLowerHalfWidth is where Maurer\'s exp(−s²/(2ΣE[Z²])) equals δ, and nonNegativeLowerSamples the n it takes', () => {
    for (const [sum, d] of [[3, 1e-9], [812.5, 2.5e-10], [1, 0.05]] as const) {
      const s = nonNegativeLowerHalfWidth(sum, d);
      assert.ok(Math.abs(Math.exp(-(s * s) / (2 * sum)) - d) / d < 1e-9);
    }
    for (const [t, m2, d] of [[0.8, 3, 2.5e-10], [0.5, 3.2, 1e-9]] as const) {
      const n = nonNegativeLowerSamples(t, m2, d);
      assert.ok(nonNegativeLowerHalfWidth(n * m2, d) / n <= t);
      assert.ok(nonNegativeLowerHalfWidth((n - 1) * m2, d) / (n - 1) > t);
    }
  });

  it('dkwHalfWidth is where 2·exp(−2nε²) equals δ, and holds for a uniform sample at δ = 0.01', () => {
    const e = dkwHalfWidth(5000, 1e-9);
    assert.ok(Math.abs(2 * Math.exp(-2 * 5000 * e * e) - 1e-9) < 1e-18);
    // A real sample: its empirical CDF stays within the half-width of the uniform CDF, at 99 % per sample.
    const rng = xoroshiro128plus(11);
    const u = Float64Array.from({ length: 5000 }, () => uniformFloat64(rng)).sort();
    let sup = 0;
    u.forEach((v, i) => (sup = Math.max(sup, Math.abs((i + 1) / u.length - v), Math.abs(i / u.length - v))));
    assert.ok(sup <= dkwHalfWidth(5000, 0.01), `${sup}`);
    assert.ok(sup > 0);
  });
});
