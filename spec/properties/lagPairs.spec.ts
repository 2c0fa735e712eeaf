import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { lagStatisticCount, lagStatistics } from '../../properties/_lagPairs.ts';

/** ±1 scores: independent, or with a dependence planted by `plant`. */
function signs(n: number, seed: number, plant: (c: Float64Array) => void = () => {}): Float64Array {
  const rng = xoroshiro128plus(seed);
  const c = Float64Array.from({ length: n }, () => (uniformFloat64(rng) < 0.5 ? -1 : 1));
  plant(c);
  return c;
}

describe('lagStatistics', () => {
  it('two phases per lag, every index used at most once per phase, all pairs of the lag covered', () => {
    const n = 103;
    const stats = lagStatistics(signs(n, 1), [1, 4, 10], 1, 1, 1e-9);
    assert.equal(stats.length, lagStatisticCount([1, 4, 10]));
    for (const lag of [1, 4, 10]) {
      const [a, b] = stats.filter((s) => s.lag === lag);
      assert.equal(a!.pairs + b!.pairs, n - lag);
      assert.ok(a!.pairs <= n / 2 && b!.pairs <= n / 2);
    }
  });

  it('independent scores stay within every bound', () => {
    for (const seed of [1, 2, 3]) {
      for (const s of lagStatistics(signs(20_000, seed), [1, 2, 3, 7, 64], 1, 1, 1e-9)) assert.ok(Math.abs(s.correlation) <= s.halfWidth, JSON.stringify(s));
    }
  });

  it('a draw shared by units 2k+1 and 2k+2 shows in the odd phase of lag 1', () => {
    const c = signs(20_000, 4, (x) => {
      for (let i = 1; i + 1 < x.length; i += 2) x[i + 1] = x[i]!;
    });
    const failing = lagStatistics(c, [1, 2], 1, 1, 1e-9).filter((s) => Math.abs(s.correlation) > s.halfWidth);
    assert.deepEqual(failing.map((s) => [s.lag, s.phase]), [[1, 1]]);
    assert.ok(failing[0]!.correlation > 0.9);
  });

  it('antithetic pairs give a correlation near −1; lags at or beyond the length are skipped', () => {
    const c = signs(1000, 5, (x) => {
      for (let i = 0; i + 1 < x.length; i += 2) x[i + 1] = -x[i]!;
    });
    const [even] = lagStatistics(c, [1, 1000, 5000], 1, 1, 1e-9);
    assert.equal(even!.correlation, -1);
    assert.equal(lagStatistics(c, [1000, 5000], 1, 1, 1e-9).length, 0);
  });
});
