import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cdf, distributionShape } from '../../properties/distributionShape.ts';
import type { ResolvedProperty, CheckOutcome } from '../../properties/PropertyContract.ts';
import { Oracle } from '../../src/sandbox/Oracle.ts';
import { Sandbox } from '../../src/sandbox/Sandbox.ts';
import { transpileModule } from '../../src/runtime/typescript/transpile.ts';

async function run(property: ResolvedProperty, source: string): Promise<CheckOutcome> {
  const compiled = transpileModule(source, 'm.ts');
  if (!compiled.ok) throw new Error(compiled.message);
  const sandbox = await Sandbox.start({ memoryMb: 512, outputBytes: 4096, cpuSeconds: 30 });
  try {
    const loaded = await sandbox.load(compiled.code, 'm.ts', 7, 10_000);
    if (!loaded.ok) throw new Error(`${loaded.thrown.name}: ${loaded.thrown.message}`);
    return await property.run({ oracle: new Oracle(sandbox, performance.now() + 60_000), subject: 'f', seed: 99 });
  } finally {
    await sandbox.dispose();
  }
}

const call = { dims: { fanIn: { min: 1, max: 512 }, fanOut: { min: 1, max: 16 } }, args: [{ type: 'dim', name: 'fanIn' }, { type: 'dim', name: 'fanOut' }, { type: 'rng' }] };
const he = (params: Record<string, unknown> = {}): ResolvedProperty =>
  distributionShape.bind({ use: 'distribution-shape', call, distribution: 'gaussian', variance: { value: 2, divideBy: ['fanIn'] }, rows: 'fanIn', runs: 4, ...params });

/** heNormal with `fill` computing w (Float64Array of fanIn·fanOut) from std, rng, fanIn. */
const init = (fill: string) => `export function f(fanIn: number, fanOut: number, rng: () => number): Float64Array {
  const std = Math.sqrt(2 / fanIn);
  const w = new Float64Array(fanIn * fanOut);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  ${fill}
  return w;
}`;

const BOX_MULLER = init(`for (let i = 0; i < w.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng())); const t = 2 * Math.PI * rng();
    w[i] = std * r * Math.cos(t); if (i + 1 < w.length) w[i + 1] = std * r * Math.sin(t);
  }`);
const POLAR = init(`for (let i = 0; i < w.length; ) {
    const u = 2 * rng() - 1; const v = 2 * rng() - 1; const s = u * u + v * v;
    if (s === 0 || s >= 1) continue;
    const k = Math.sqrt((-2 * Math.log(s)) / s);
    w[i++] = std * u * k; if (i < w.length) w[i++] = std * v * k;
  }`);
const COS_ONLY = init('for (let i = 0; i < w.length; i++) w[i] = std * gauss();');

// Right variance and mean, wrong distribution or dependence: each with the message that names what is wrong.
const wrong: [string, string, RegExp][] = [
  ['uniform weights', init('for (let i = 0; i < w.length; i++) w[i] = std * Math.sqrt(3) * (2 * rng() - 1);'), /^[\d.]+ % of \d+ values are ≤ -?[\d.]+ standard deviations .*where a gaussian distribution has [\d.]+ %/],
  ['Rademacher weights', init('for (let i = 0; i < w.length; i++) w[i] = rng() < 0.5 ? -std : std;'), /where a gaussian distribution has/],
  ['a normal truncated at 2σ and rescaled', init('for (let i = 0; i < w.length; i++) { let z = 3; while (Math.abs(z) > 2) z = gauss(); w[i] = (std * z) / Math.sqrt(0.7737413035499232); }'), /where a gaussian distribution has/],
  ['antithetic pairs', init('for (let i = 0; i < w.length; i += 2) { w[i] = std * gauss(); if (i + 1 < w.length) w[i + 1] = -w[i]; }'), /^the signs of values 1 apart are correlated: -(1|0\.\d+) over/],
  ['one row repeated for every unit', init('for (let i = 0; i < w.length; i++) w[i] = i < fanIn ? std * gauss() : w[i - fanIn];'), /^(rows 0 and 1 \(of \d+ values each\) are the same|the (signs|magnitudes) of (the same column of consecutive rows|values \d apart) are correlated: 1 over)/],
  ['magnitudes repeated with fresh signs', init('for (let i = 0; i < w.length; i++) w[i] = (rng() < 0.5 ? -1 : 1) * (i < fanIn ? Math.abs(std * gauss()) : Math.abs(w[i - fanIn]));'), /^the magnitudes of the same column of consecutive rows are correlated: (1|0\.9\d*) over/],
  ['a second half that mirrors the first', init('const h = Math.ceil(w.length / 2); for (let i = 0; i < h; i++) w[i] = std * gauss(); for (let i = h; i < w.length; i++) w[i] = -w[i - h];'), /^the (signs|magnitudes) of (the two halves of a result|values 1 apart|the same column of consecutive rows) are correlated: /],
  ['a fixed matrix', init('let s = 9; const own = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296; for (let i = 0; i < w.length; i++) w[i] = std * Math.sqrt(-2 * Math.log(own())) * Math.cos(2 * Math.PI * own());'), /^calls with two different rng seeds returned the same \d+ values/],
];

describe('distribution-shape', () => {
  for (const [name, source] of [['Box–Muller pairs', BOX_MULLER], ['the polar method', POLAR], ['Box–Muller, cosine only', COS_ONLY]] as const) {
    it(`passes He initialisation by ${name}`, async () => {
      const r = await run(he(), source);
      assert.equal(r.passed, true, r.message);
      assert.match(r.message, /^4 runs: gaussian CDF within [\d.]+ % of the DKW bound/);
      for (const k of ['worstDkwGapOverBound', 'worstPointGapOverBound', 'worstCorrelationOverBound']) assert.ok(r.metrics![k]! < 1, k);
    });
  }

  for (const [name, source, message] of wrong) {
    it(`fails ${name}`, async () => {
      const r = await run(he(), source);
      assert.equal(r.passed, false, `${name} passed: ${r.message}`);
      assert.match(r.message, message);
    });
  }

  it('the uniform family: uniform weights pass, normal ones fail', async () => {
    const glorot = he({ distribution: 'uniform', variance: { value: 1, divideBy: ['fanIn'] } });
    assert.equal((await run(glorot, init('for (let i = 0; i < w.length; i++) w[i] = Math.sqrt(3 / fanIn) * (2 * rng() - 1);'))).passed, true);
    assert.match((await run(glorot, init('for (let i = 0; i < w.length; i++) w[i] = Math.sqrt(1 / fanIn) * gauss();'))).message, /where a uniform distribution has/);
  });

  it('a result of the wrong kind fails, it does not break the grader', async () => {
    const r = await run(he({ runs: 1 }), 'export function f(a: number, b: number, rng: () => number) { return "weights"; }');
    assert.match(r.message, /^returned no numbers \(string\)/);
  });

  it('Φ is accurate to rounding at known values', () => {
    assert.ok(Math.abs(cdf('gaussian', 1) - 0.8413447460685429) < 1e-15);
    assert.ok(Math.abs(cdf('gaussian', -3) - 0.0013498980316300946) < 1e-15);
    assert.equal(cdf('gaussian', 0), 0.5);
    assert.equal(cdf('uniform', Math.sqrt(3)), 1);
  });

  it('states runs × falseReject and reports unknown dimensions where they are named', () => {
    assert.equal(he({ runs: 5, falseReject: 1e-9 }).falseRejectBound, 5e-9);
    assert.throws(() => he({ rows: 'width' }), /unknown dimension .{1,2}width/);
    assert.throws(() => he({ variance: { value: 2, divideBy: ['fan'] } }), /unknown dimension .{1,2}fan.{1,2}; declare it under call\.dims/);
  });
});
