import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countSecondMoment, maskRandomness, specialInput, unitsPerCall } from '../../properties/maskRandomness.ts';
import type { ResolvedProperty } from '../../properties/PropertyContract.ts';
import { layer, withOracle } from './_oracle.ts';

function bind(params: Record<string, unknown> = {}): ResolvedProperty {
  return maskRandomness.bind({ use: 'mask-randomness', ...params });
}

const MULBERRY = 'let a = 42; const own = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };';
const PROLOGUE = 'const out = new Float64Array(x.length);';

/** The correct layer with code inserted after `out` is allocated. */
const withPrologue = (code: string, keep: string) => layer({ keep }).replace(PROLOGUE, `${PROLOGUE} ${code}`);

// Wrong randomness, each with the message that names it. Every one keeps the right scale and drops p on average.
const broken: [string, string, RegExp][] = [
  [
    'an exact count by shuffle',
    withPrologue(
      'const idx = Array.from({ length: x.length }, (_, i) => i); for (let i = x.length - 1; i > 0; i--) { const j = Math.floor(this.rng() * (i + 1)); const t = idx[i]; idx[i] = idx[j]; idx[j] = t; } const kept = new Uint8Array(x.length).fill(1); for (let i = 0; i < Math.round(this.dropoutRate * x.length); i++) kept[idx[i]] = 0;',
      'kept[i] === 1',
    ),
    /^over \d+ calls the number of dropped units varied 0\.\d+ × as much as Binomial\(\d+, [\d.]+\) .*not an exact count$/,
  ],
  ['one contiguous block', withPrologue('const k = Math.round(this.dropoutRate * x.length); const s = Math.floor(this.rng() * x.length);', '(i - s + x.length) % x.length >= k'), /^over \d+ calls the number of dropped units varied/],
  ['adjacent units sharing a draw', withPrologue('let u = 0;', '(i % 2 === 0 ? (u = this.rng()) : u) < keepProb'), /^the masks of units 1 apart are correlated: 0\.[4-6]\d* over \d+ pairs/],
  ['a mask drawn once per layer', withPrologue('if (this.mask?.length !== x.length) this.mask = Array.from(x, () => this.rng() < keepProb);', 'this.mask[i]'), /^two forward\(\) calls on one layer dropped exactly the same \d+ positions/],
  ['subnormals never dropped', layer({ keep: '(this.rng() < keepProb || (x[i] !== 0 && Math.abs(x[i]) < 2.2250738585072014e-308))' }), /^with the same seeds, element \d+ \(input -?[\d.]+e-3\d\d\) was kept, but the same seeds dropped it/],
  ['NaN never dropped (no draw for it)', layer({ keep: '(x[i] !== x[i] || this.rng() < keepProb)' }), /^with the same seeds, element \d+ .* the mask must not depend on the input values/],
  ['a skipped draw for zeros', layer({ keep: '(x[i] !== 0 && this.rng() < keepProb)' }), /^with the same seeds, element \d+ .* the mask must not depend on the input values/],
  ['a fixed-seed generator when no rng is injected', layer().replace('this.rng = rng;', `${MULBERRY} this.rng = rng !== Math.random ? rng : own;`), /^a new layer with Math\.random seeded differently dropped exactly the same \d+ positions/],
  ['a module-level generator when no rng is injected', `let s = 42; const lcg = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);\n${layer().replace('this.rng = rng;', 'this.rng = rng !== Math.random ? rng : lcg;')}`, /^a new layer with the same Math\.random seed dropped other positions/],
];

describe('mask-randomness', () => {
  it('passes the correct layer, with an injected rng and with the default Math.random, and reports what it measured', async () => {
    const r = await withOracle(layer(), (ctx) => bind().run(ctx));
    assert.equal(r.passed, true, r.message);
    assert.match(r.message, /^3 runs: dropped-count variance [\d.]+–[\d.]+ × binomial/);
    assert.ok(r.metrics!['calls']! > 3 * 100);
    assert.ok(r.metrics!['worstCorrelationOverBound']! < 1);
  });

  it('passes a layer that draws from Math.random even when an rng is injected (the child seeds it)', async () => {
    const r = await withOracle(layer({ keep: 'Math.random() < keepProb' }), (ctx) => bind({ sources: ['rng'], runs: 2 }).run(ctx));
    assert.equal(r.passed, true, r.message);
  });

  for (const [name, source, message] of broken) {
    it(`fails ${name}`, async () => {
      const r = await withOracle(source, (ctx) => bind({ runs: 3 }).run(ctx));
      assert.equal(r.passed, false, `${name} passed: ${r.message}`);
      assert.match(r.message, message);
      assert.notEqual(r.counterexample, undefined);
    });
  }

  it('the same seed gives the same outcome', async () => {
    const source = broken[2]![1];
    const [a, b] = [await withOracle(source, (ctx) => bind({ runs: 2 }).run(ctx)), await withOracle(source, (ctx) => bind({ runs: 2 }).run(ctx))];
    assert.deepEqual(a, b);
  });

  it('units per call: npq ≥ 8 and two independent masks agree with probability within the bound', () => {
    for (const p of [0.001, 0.05, 0.3, 0.5, 0.95, 0.999]) {
      const n = unitsPerCall(p, 1e-10);
      const q = 1 - p;
      assert.ok(n * p * q >= 8 && n >= 32, `${p}: ${n}`);
      assert.ok((p * p + q * q) ** n <= 1e-10, `${p}: ${n}`);
    }
  });

  it('countSecondMoment is E[((D − np)²/(npq))²] for D ~ Binomial(n, p), summed exactly', () => {
    for (const [n, p] of [[32, 0.5], [200, 0.05], [51, 0.7]] as const) {
      let pmf = (1 - p) ** n;
      let sum = 0;
      for (let d = 0; d <= n; d++) {
        sum += pmf * ((d - n * p) ** 2 / (n * p * (1 - p))) ** 2;
        pmf *= ((n - d) / (d + 1)) * (p / (1 - p));
      }
      assert.ok(Math.abs(sum - countSecondMoment(n, p)) < 1e-9, `${n} ${p}: ${sum} vs ${countSecondMoment(n, p)}`);
    }
  });

  it('the special input holds ±0, subnormals, NaN, ±Infinity and huge values', () => {
    const x = specialInput(2000, 9);
    const has = (f: (v: number) => boolean) => x.some(f);
    assert.ok(has((v) => Object.is(v, 0)) && has((v) => Object.is(v, -0)));
    assert.ok(has((v) => v !== 0 && Math.abs(v) < 2.2250738585072014e-308));
    assert.ok(has(Number.isNaN) && has((v) => v === Infinity) && has((v) => v === -Infinity));
    assert.ok(has((v) => Math.abs(v) > 1e300 && Number.isFinite(v)));
  });

  it('states its false-reject bound (runs × falseReject) and refuses rates whose samples would explode', () => {
    assert.equal(bind({ runs: 4, falseReject: 1e-9 }).falseRejectBound, 4e-9);
    assert.throws(() => bind({ p: { min: 0, max: 0.5, include: [] } }), /\[0\.001, 0\.999\]/);
  });
});
