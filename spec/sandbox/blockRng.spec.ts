import assert from 'node:assert/strict';
import { it } from 'node:test';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { blockRngState, blockSource, RNG_BLOCK } from '../../src/sandbox/_blockRng.ts';

it("the child's block rng is exactly pure-rand's uniformFloat64 over xoroshiro128+, across blocks", () => {
  for (const seed of [0, 1, 42, -7, 0x7fffffff, 123456789]) {
    const reference = xoroshiro128plusFromState(blockRngState(seed));
    const fill = blockSource(seed);
    const block = new Float64Array(RNG_BLOCK);
    for (let b = 0; b < 3; b++) {
      fill(block);
      for (let i = 0; i < RNG_BLOCK; i++) {
        const want = uniformFloat64(reference);
        if (block[i] !== want) assert.fail(`seed ${seed}, block ${b}, value ${i}: ${block[i]} !== ${want}`);
      }
    }
  }
});

it('fills RNG_BLOCK values whatever the array claims its length is', () => {
  const fill = blockSource(5);
  const small = new Float64Array(10);
  fill(small);
  assert.ok(small.every((v) => v >= 0 && v < 1));
  const tricked = new Float64Array(RNG_BLOCK);
  Object.defineProperty(tricked, 'length', { get: () => 1e12 });
  fill(tricked);
  assert.ok(tricked.every((v) => v >= 0 && v < 1));
});

it('values are uniform in [0, 1): mean ½, variance 1/12 over 200 000 draws (6-sigma bounds)', () => {
  const fill = blockSource(99);
  const block = new Float64Array(RNG_BLOCK);
  let n = 0;
  let sum = 0;
  let sq = 0;
  while (n < 200_000) {
    fill(block);
    for (const v of block) {
      sum += v;
      sq += v * v;
      n++;
    }
  }
  const mean = sum / n;
  const variance = sq / n - mean * mean;
  assert.ok(Math.abs(mean - 0.5) < 6 * Math.sqrt(1 / 12 / n), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1 / 12) < 6 * Math.sqrt(1 / 180 / n), `variance ${variance}`);
});
