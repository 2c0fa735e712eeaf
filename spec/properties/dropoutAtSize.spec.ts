import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dropoutAtSize } from '../../properties/dropoutAtSize.ts';
import { layer, withOracle } from './_oracle.ts';

const run = (params: Record<string, unknown>, source: string, seed?: number) => withOracle(source, (ctx) => dropoutAtSize.bind({ use: 'dropout-at-size', ...params }).run(ctx), seed);

// Small shapes keep the spec quick; the task uses the original's (10000, 128).
const shapes = [[100, 120], [30_000]];

describe('dropout-at-size', () => {
  it('the correct layer passes at every shape, with one call or several', async () => {
    for (const calls of [1, 3]) {
      const r = await run({ shapes, calls }, layer());
      assert.equal(r.passed, true, r.message);
      assert.match(r.message, new RegExp(`^1 run of ${calls} calls? at \\(100, 120\\), \\(30000,\\): every kept unit x·\\(1−p\\)\\^-0\\.5.*, input untouched, eval the identity$`));
    }
  });

  it('a layer right only below some size fails at the shape above it, naming the element and the shape', async () => {
    const r = await run({ shapes }, layer({ scale: 'x.length > 20000 ? 1 / keepProb : 1 / Math.sqrt(keepProb)' }));
    assert.equal(r.passed, false);
    assert.match(r.message, /^element \d+ of 30000 is .*; expected 0 \(dropped\) or x·\(1−p\)\^-0\.5 = .* % off; p = [\d.]+, shape \(30000,\), training call 1 of 1\)$/);
  });

  it('a drop rate off by a few percent above some size fails the Bernoulli bound, every kept unit exact', async () => {
    const r = await run({ shapes, p: { min: 0.4, max: 0.6 } }, layer({ keep: '(x.length > 20000 ? this.rng() * 0.95 : this.rng()) < keepProb' }));
    assert.equal(r.passed, false);
    assert.match(r.message, /^\d+ of 30000 units were dropped; independent drops at p give \d+ ± \d+ \(drop fraction [\d.]+, expected [\d.]+; false-reject ≤ 1e-9; p = [\d.]+, shape \(30000,\), training call 1 of 1\)$/);
  });

  it('with several calls, a mask that never changes fails', async () => {
    const fixed = layer({ keep: '((i * 2654435761) % 1000) / 1000 < keepProb' });
    assert.equal((await run({ shapes }, fixed)).passed, true, 'one call cannot see it');
    const r = await run({ shapes, calls: 2 }, fixed);
    assert.equal(r.passed, false);
    assert.match(r.message, /^the mask of training call 2 is the one of call 1: the mask must be drawn afresh on every call/);
  });

  it('writing into the input above some size fails, naming the element', async () => {
    const r = await run({ shapes }, layer({ extra: 'if (x.length > 20000) x.fill(0);' }));
    assert.equal(r.passed, false);
    assert.match(r.message, /^forward\(\) modified its input: element 0 of 30000 changed from .* to 0 \(p = [\d.]+, shape \(30000,\), training call 1 of 1\)$/);
  });

  it('an eval mode that is not the identity above some size fails', async () => {
    const r = await run({ shapes }, layer({ evalBody: 'return x.length > 20000 ? x.map((v) => v * 2) : x;' }));
    assert.equal(r.passed, false);
    assert.match(r.message, /^in eval mode forward\(\) changed element 0 of 30000 from .*; eval must be the identity \(p = [\d.]+, shape \(30000,\), eval mode\)$/);
  });

  it('returning the input array in training mode fails', async () => {
    const r = await run({ shapes: [[20_000]], p: { min: 0.5, max: 0.5 } }, layer({ extra: 'for (let i = 0; i < x.length; i++) x[i] = out[i]; return x;' }));
    assert.equal(r.passed, false);
    assert.match(r.message, /returned its input array instead of a new one/);
  });

  it('refuses shapes it cannot bound: too large, or under 10,000 elements with several calls', () => {
    assert.throws(() => dropoutAtSize.bind({ use: 'dropout-at-size', shapes: [[10_001, 1000]] }), /at most 10000000 elements/);
    assert.throws(() => dropoutAtSize.bind({ use: 'dropout-at-size', shapes: [[100, 50]], calls: 2 }), /at least 10,000 elements/);
    assert.throws(() => dropoutAtSize.bind({ use: 'dropout-at-size', shapes: [[10, 10, 10, 10]], maxDims: 3 }), /more dimensions than maxDims/);
    assert.doesNotThrow(() => dropoutAtSize.bind({ use: 'dropout-at-size', shapes: [[100, 50]] }));
  });

  it('states its false-reject bound: one Bernstein check per call, shape and run', () => {
    const bound = dropoutAtSize.bind({ use: 'dropout-at-size', shapes, calls: 3, runs: 2 }).falseRejectBound;
    assert.equal(bound, 2 * 2 * 3 * 1e-9);
  });
});
