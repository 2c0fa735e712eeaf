import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolvedProperty } from '../../properties/PropertyContract.ts';
import { constructorContract } from '../../properties/constructorContract.ts';
import { deterministic } from '../../properties/deterministic.ts';
import { dropFraction } from '../../properties/dropFraction.ts';
import { evalIdentity } from '../../properties/evalIdentity.ts';
import { exactKeptScale } from '../../properties/exactKeptScale.ts';
import { secondMomentRatio } from '../../properties/secondMomentRatio.ts';
import { shapeAndPurity } from '../../properties/shapeAndPurity.ts';
import { zeroRateIdentity } from '../../properties/zeroRateIdentity.ts';
import { layer, withOracle } from './_oracle.ts';

function bind(contract: { bind(entry: unknown): ResolvedProperty }, params: Record<string, unknown> = {}): ResolvedProperty {
  return contract.bind(params);
}

async function outcome(property: ResolvedProperty, source: string) {
  return withOracle(source, (ctx) => property.run(ctx));
}

const correct = layer();

// Each contract: the correct layer passes; a layer broken in exactly the way the contract targets fails.
const cases: [string, ResolvedProperty, string, RegExp][] = [
  ['exact-kept-scale', bind(exactKeptScale, { use: 'exact-kept-scale', runs: 20 }), layer({ scale: '1 / keepProb' }), /^kept outputs are scaled by 1\.\d+ at p = [\d.e-]+; \(1−p\)\^-0\.5 = 1\.\d+/],
  ['second-moment-ratio', bind(secondMomentRatio, { use: 'second-moment-ratio', runs: 3 }), layer({ scale: '1 / keepProb' }), /^E\[Y²\]\/E\[X²\] = [\d.]+ at p = /],
  ['drop-fraction', bind(dropFraction, { use: 'drop-fraction', runs: 3 }), layer({ keep: 'this.rng() < this.dropoutRate', scale: '1 / Math.sqrt(this.dropoutRate)' }), /^dropped [\d.]+ % of units at p = /],
  ['eval-identity', bind(evalIdentity, { use: 'eval-identity', runs: 3 }), layer({ evalBody: 'return x.map((v) => v * 1.5);' }), /^in eval mode forward\(\) changed element/],
  ['zero-rate-identity', bind(zeroRateIdentity, { use: 'zero-rate-identity', runs: 3 }), layer({ scale: '1 / Math.sqrt(keepProb) + 1e-12' }), /^at p = 0 forward\(\) changed element/],
  ['shape-and-purity', bind(shapeAndPurity, { use: 'shape-and-purity', runs: 3 }), layer({ extra: 'x.fill(0);' }), /^forward\(\) modified its input/],
  ['deterministic', bind(deterministic, { use: 'deterministic', runs: 3 }), layer({ keep: 'x[i] > 0' }), /mask must not depend on the input/],
  ['constructor-contract', bind(constructorContract, { use: 'constructor-contract' }), layer().replace("throw new RangeError('bad rate')", "throw new Error('bad rate')"), /threw Error, not RangeError/],
];

describe('property contracts', () => {
  for (const [name, property, broken, message] of cases) {
    it(`${name}: the correct layer passes`, async () => {
      const r = await outcome(property, correct);
      assert.equal(r.passed, true, r.message);
    });
    it(`${name}: a layer broken for it fails with a counterexample`, async () => {
      const r = await outcome(property, broken);
      assert.equal(r.passed, false);
      assert.match(r.message, message);
      assert.notEqual(r.counterexample, undefined);
    });
  }

  it('a layer that ignores the injected rng and uses Math.random still passes (Math.random is seeded)', async () => {
    const source = layer({ keep: 'Math.random() < keepProb' });
    for (const p of [deterministic, secondMomentRatio, dropFraction]) {
      const r = await outcome(bind(p, { use: p.name, runs: 2 }), source);
      assert.equal(r.passed, true, `${p.name}: ${r.message}`);
    }
  });

  it('the same seed gives the same outcome and counterexample', async () => {
    const property = bind(exactKeptScale, { use: 'exact-kept-scale', runs: 10 });
    const a = await outcome(property, layer({ scale: '1.01 / Math.sqrt(keepProb)' }));
    const b = await outcome(property, layer({ scale: '1.01 / Math.sqrt(keepProb)' }));
    assert.deepEqual(a, b);
  });

  it('second-moment-ratio sizes its sample from p: larger n as p grows', async () => {
    const small = await outcome(bind(secondMomentRatio, { use: 'second-moment-ratio', runs: 1, p: { min: 0.1, max: 0.1, include: [] }, distributions: ['rademacher'] }), correct);
    const large = await outcome(bind(secondMomentRatio, { use: 'second-moment-ratio', runs: 1, p: { min: 0.9, max: 0.9, include: [] }, distributions: ['rademacher'] }), correct);
    assert.equal(small.passed && large.passed, true);
    assert.ok(small.metrics!['largestSample']! * 50 < large.metrics!['largestSample']!, JSON.stringify([small.metrics, large.metrics]));
  });

  it('drop-fraction sizes its sample per p from the tolerance (p·q small near 0 and 1), or uses a fixed n', async () => {
    const at = (p: number, extra: Record<string, unknown> = {}) =>
      outcome(bind(dropFraction, { use: 'drop-fraction', runs: 1, p: { min: p, max: p, include: [] }, ...extra }), correct);
    const [edge, middle, fixed] = await Promise.all([at(0.05), at(0.5), at(0.05, { n: 20_000 })]);
    for (const r of [edge, middle, fixed]) assert.equal(r.passed, true, r.message);
    assert.ok(edge.metrics!['largestSample']! * 4 < middle.metrics!['largestSample']!, JSON.stringify([edge.metrics, middle.metrics]));
    for (const r of [edge, middle]) assert.ok(r.metrics!['widestHalfWidth']! <= 0.025, JSON.stringify(r.metrics));
    assert.equal(fixed.metrics!['largestSample'], 20_000);
    assert.match(middle.message, /n = \d+, false-reject/);
  });

  it('falseRejectBound adds up runs × the stated rate for statistical contracts and is 0 for exact ones', () => {
    assert.equal(bind(exactKeptScale, { use: 'exact-kept-scale' }).falseRejectBound, 0);
    const smr = bind(secondMomentRatio, { use: 'second-moment-ratio', runs: 8, falseReject: 1e-9 });
    assert.ok(Math.abs(smr.falseRejectBound - 13e-9) < 1e-15);
  });
});
