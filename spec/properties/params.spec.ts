import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'node:test';
import { lengthArbitrary } from '../../properties/_params.ts';
import { exactKeptScale } from '../../properties/exactKeptScale.ts';
import { layer, withOracle } from './_oracle.ts';

describe('lengthArbitrary', () => {
  it('draws every length in [1, max] and every decade about equally often', () => {
    const lengths = fc.sample(lengthArbitrary(5000), { seed: 7, numRuns: 20_000 });
    assert.ok(lengths.every((n) => Number.isInteger(n) && n >= 1 && n <= 5000));
    assert.equal(Math.min(...lengths), 1);
    assert.equal(Math.max(...lengths), 5000);
    const decades = [0, 0, 0, 0];
    for (const n of lengths) decades[Math.min(3, Math.floor(Math.log10(n)))]! += 1;
    // Log-uniform: 1–9, 10–99, 100–999 and 1000–5000 each get a fifth to a third of the draws (a uniform draw
    // would give them 0.2 %, 1.8 %, 18 % and 80 %).
    for (const count of decades) assert.ok(count > 0.18 * lengths.length && count < 0.36 * lengths.length, JSON.stringify(decades));
  });

  it('shrinks to the smallest failing length, from a drawn length and from an example alike', () => {
    for (const examples of [[], [[5000]]] as [number][][]) {
      const r = fc.check(
        fc.property(lengthArbitrary(5000), (n) => n < 37),
        { seed: 3, examples },
      );
      assert.deepEqual(r.counterexample, [37]);
    }
  });

  it('every length can be shrunk without its generation context (how fast-check shrinks examples)', () => {
    const lengths = lengthArbitrary(5000);
    for (let n = 1; n <= 5000; n++) assert.ok(lengths.canShrinkWithoutContext(n), String(n));
    assert.equal(lengths.canShrinkWithoutContext(0), false);
    assert.equal(lengths.canShrinkWithoutContext(5001), false);
    assert.equal(lengths.canShrinkWithoutContext(2.5), false);
  });

  it('max 1 draws only 1', () => {
    assert.deepEqual([...new Set(fc.sample(lengthArbitrary(1), { seed: 1, numRuns: 50 }))], [1]);
  });

  it('exact-kept-scale catches a layer that is wrong only on inputs shorter than 8', async () => {
    // Drawn uniformly over 1–5000, 60 runs of two calls would reach a length below 8 with probability ≈ 15 %.
    const shortOnly = layer({ scale: 'x.length < 8 ? 1 / keepProb : 1 / Math.sqrt(keepProb)' });
    const r = await withOracle(shortOnly, (ctx) => exactKeptScale.bind({ use: 'exact-kept-scale' }).run(ctx));
    assert.equal(r.passed, false, r.message);
    assert.match(r.message, /kept outputs are scaled by .* \(element \d+ of [1-7], call/);
  });
});
