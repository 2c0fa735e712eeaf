import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finiteOnExtremes } from '../../properties/finiteOnExtremes.ts';
import { identityWhen } from '../../properties/identityWhen.ts';
import { invariant } from '../../properties/invariant.ts';
import { matchesReference } from '../../properties/matchesReference.ts';
import { momentRatio, momentSamples } from '../../properties/momentRatio.ts';
import type { CheckOutcome, ResolvedProperty } from '../../properties/PropertyContract.ts';
import { referenceFrom } from './_oracle.ts';
import { reproducible } from '../../properties/reproducible.ts';
import { bernsteinHalfWidth, bernsteinSamples, chiSquareSamples, gaussianMeanSamples } from '../../properties/_stats.ts';
import { Oracle } from '../../src/sandbox/Oracle.ts';
import { Sandbox } from '../../src/sandbox/Sandbox.ts';
import { transpileModule } from '../../src/runtime/typescript/transpile.ts';

// The generic library against real sandboxes: each property passes a correct module and fails, with a message
// that says what is wrong, a module broken in the way it targets.

const LIMITS = { timeMs: 20_000, memoryMb: 512, outputBytes: 4096 };

async function run(property: ResolvedProperty, source: string, opts: { subject?: string; reference?: string; seed?: number } = {}): Promise<CheckOutcome> {
  const compiled = transpileModule(source, 'm.ts');
  if (!compiled.ok) throw new Error(compiled.message);
  const sandbox = await Sandbox.start({ memoryMb: LIMITS.memoryMb, outputBytes: LIMITS.outputBytes, cpuSeconds: 30 });
  try {
    const loaded = await sandbox.load(compiled.code, 'm.ts', 7, 10_000);
    if (!loaded.ok) throw new Error(`${loaded.thrown.name}: ${loaded.thrown.message}`);
    const reference = opts.reference === undefined ? undefined : referenceFrom(opts.reference, 'm.ts', LIMITS);
    try {
      const base = { oracle: new Oracle(sandbox, performance.now() + 60_000), subject: opts.subject ?? 'f', seed: opts.seed ?? 99 };
      return await property.run(reference === undefined ? base : { ...base, reference: reference.solution });
    } finally {
      await reference?.dispose();
    }
  } finally {
    await sandbox.dispose();
  }
}

function bind(contract: { bind(entry: unknown): ResolvedProperty }, params: Record<string, unknown>): ResolvedProperty {
  return contract.bind(params);
}

const vector = (max = 32) => ({ dims: { n: { min: 1, max } }, args: [{ type: 'array', shape: ['n'], values: { dist: 'gaussian', scale: { min: 0.1, max: 1000 } } }] });

const STABLE_SOFTMAX = `export function f(x: Float64Array): Float64Array {
  let m = -Infinity; for (const v of x) if (v > m) m = v;
  let s = 0; for (const v of x) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return x.map((v) => Math.exp(v - lse));
}`;
// The same function computed another way: exp(x - max) / Σ exp(x - max).
const RATIO_SOFTMAX = `export function f(x: Float64Array): Float64Array {
  let m = -Infinity; for (const v of x) if (v > m) m = v;
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}`;
const NAIVE_SOFTMAX = `export function f(x: Float64Array): Float64Array {
  let s = 0; for (const v of x) s += Math.exp(v);
  return x.map((v) => Math.exp(v) / s);
}`;

describe('matches-reference', () => {
  const property = bind(matchesReference, { use: 'matches-reference', call: vector(), runs: 60 });

  it('passes a different but correct implementation', async () => {
    const r = await run(property, RATIO_SOFTMAX, { reference: STABLE_SOFTMAX });
    assert.equal(r.passed, true, r.message);
    assert.match(r.message, /^60 runs: f matches the reference solution/);
  });

  it('fails a wrong implementation with the input and both values', async () => {
    const r = await run(property, NAIVE_SOFTMAX, { reference: STABLE_SOFTMAX });
    assert.equal(r.passed, false);
    assert.match(r.message, /^result\[\d+\] is (NaN|0|Infinity), expected [\d.e-]+ \(the reference solution's value; tolerance abs 1e-12, rel 1e-9\), for f\(Float64Array\(\d+\) \[/);
    assert.ok(r.counterexample !== undefined);
  });

  it('fails a result off by one part in 10⁶', async () => {
    const r = await run(property, STABLE_SOFTMAX.replace('Math.exp(v - lse))', 'Math.exp(v - lse) * (1 + 1e-6))'), { reference: STABLE_SOFTMAX });
    assert.equal(r.passed, false);
    assert.match(r.message, /^result\[\d+\] is /);
  });

  it("fails an implementation that writes into the caller's array", async () => {
    const inPlace = STABLE_SOFTMAX.replace('return x.map((v) => Math.exp(v - lse));', 'const y = x.map((v) => Math.exp(v - lse)); x.fill(0); return y;');
    const r = await run(property, inPlace, { reference: STABLE_SOFTMAX });
    assert.equal(r.passed, false);
    assert.match(r.message, /^modified argument 0: element \d+ of \d+ changed from .* to 0; the reference leaves it unchanged and the caller's array must not be modified/);
  });

  it('where the reference throws, the submission must throw an error of the same name', async () => {
    const reference = `export function f(x: Float64Array): number { if (x.length === 0) throw new RangeError('empty'); return x[0]; }`;
    const call = { dims: { n: { min: 0, max: 3 } }, args: [{ type: 'array', shape: ['n'], values: { dist: 'uniform' } }] };
    const p = bind(matchesReference, { use: 'matches-reference', call, runs: 40 });
    assert.equal((await run(p, reference, { reference })).passed, true);
    const returns = await run(p, `export function f(x: Float64Array): number { return x.length === 0 ? NaN : x[0]; }`, { reference });
    assert.match(returns.message, /^returned normally where the reference throws RangeError \(empty\), for f\(Float64Array\(0\) \[\]\)/);
    const other = await run(p, `export function f(x: Float64Array): number { if (x.length === 0) throw new TypeError('no'); return x[0]; }`, { reference });
    assert.match(other.message, /^threw TypeError \(no\) where the reference throws RangeError/);
  });

  it('integer and boolean arrays are argument types: the submission gets an Int32Array and a boolean[] of its own realm', async () => {
    // Class counts of labels below K, and a masked sum: the argument types an integer-label or mask task needs.
    const reference = `export function f(labels: Int32Array, k: number, x: Float64Array, mask: boolean[]): Float64Array {
  if (!(labels instanceof Int32Array) || !Array.isArray(mask) || mask.some((b) => typeof b !== 'boolean')) throw new TypeError('wrong argument types');
  const out = new Float64Array(k + 1);
  for (const l of labels) out[l] += 1;
  for (let i = 0; i < x.length; i++) if (mask[i]) out[k] += x[i];
  return out;
}`;
    const call = {
      dims: { n: { min: 1, max: 64 }, k: { min: 1, max: 10 } },
      args: [
        { type: 'array', shape: ['n'], elements: 'Int32Array', values: { dist: 'integers', min: 0, max: { dim: 'k', plus: -1 } } },
        { type: 'dim', name: 'k' },
        { type: 'array', shape: ['n'], values: { dist: 'uniform' } },
        { type: 'array', shape: ['n'], elements: 'boolean', values: { dist: 'bernoulli', p: 0.5 } },
      ],
    };
    const p = bind(matchesReference, { use: 'matches-reference', call, runs: 30 });
    const ok = await run(p, reference, { reference });
    assert.equal(ok.passed, true, ok.message);
    // A submission that reads the mask as numbers (mask[i] === 1) is wrong for a boolean[]; the message shows the types.
    const numeric = await run(p, reference.replace('if (mask[i])', 'if ((mask[i] as unknown) === 1)'), { reference });
    assert.equal(numeric.passed, false);
    assert.match(numeric.message, /for f\(Int32Array\(\d+\) \[[\d, …]+\], \d+, Float64Array\(\d+\) \[.*\], boolean\[\]\(\d+\) \[(true|false)/);
    // Writing into the labels shows in the echo, as an Int32Array holds it (0.5 is stored as 0).
    const inPlace = await run(p, reference.replace('for (const l of labels) out[l] += 1;', 'for (const l of labels) out[l] += 1; labels[0] = 0.5;'), { reference });
    assert.equal(inPlace.passed, false);
    assert.match(inPlace.message, /^argument 0 after the call\[0\] is 0, expected [1-9]/);
  });

  it('a hostile Array.prototype setter does not see the elements of a boolean[] argument being written', async () => {
    const source = `let seen = 0;
Object.defineProperty(Array.prototype, '0', { set() { seen++; }, get() { return 'hijacked'; }, configurable: true });
export function f(mask: boolean[]): number { return seen * 1000 + (mask[0] === true ? 1 : mask[0] === false ? 2 : 3); }`;
    const call = { dims: { n: { min: 1, max: 4 } }, args: [{ type: 'array', shape: ['n'], elements: 'boolean', values: { dist: 'constant', value: 1 } }] };
    const reference = 'export function f(mask: boolean[]): number { return mask[0] === true ? 1 : 2; }';
    const r = await run(bind(matchesReference, { use: 'matches-reference', call, runs: 5 }), source, { reference });
    assert.equal(r.passed, true, r.message);
  });

  it('calls a class: construct, before methods, then the method', async () => {
    const reference = `export class Scaler { k: number; on = true; constructor(k: number) { this.k = k; } off() { this.on = false; } apply(x: Float64Array) { return this.on ? x.map((v) => v * this.k) : x.slice(); } }`;
    const call = { export: 'Scaler', construct: [{ type: 'number', min: 1, max: 3 }], before: ['off'], method: 'apply', ...vector(8) };
    const p = bind(matchesReference, { use: 'matches-reference', call, runs: 20 });
    assert.equal((await run(p, reference, { reference, subject: 'Scaler' })).passed, true);
    const r = await run(p, reference.replace('this.on = false;', ''), { reference, subject: 'Scaler' });
    assert.match(r.message, /for new Scaler\([\d.]+\)\.off\(\)\.apply\(Float64Array/);
  });

  it('a result of the wrong type is a failed check, not a grader error', async () => {
    const r = await run(property, 'export function f(x: Float64Array) { return Array.from(x); }', { reference: STABLE_SOFTMAX });
    assert.equal(r.passed, false);
    assert.match(r.message, /^result is an array of length \d+, expected a Float64Array of length \d+/);
  });

  it('contract: a Float32Array, or the input array itself where the reference returns a new one, fails', async () => {
    const f32 = await run(property, STABLE_SOFTMAX.replace('return x.map((v) => Math.exp(v - lse));', 'return Float32Array.from(x, (v) => Math.exp(v - lse));'), { reference: STABLE_SOFTMAX });
    assert.match(f32.message, /^result is a Float32Array of length \d+, expected a Float64Array of length \d+/);
    const same = await run(property, STABLE_SOFTMAX.replace('return x.map((v) => Math.exp(v - lse));', 'const y = x.map((v) => Math.exp(v - lse)); x.set(y); return x;'), { reference: STABLE_SOFTMAX });
    assert.match(same.message, /^returned argument 0 itself \(updated in place\) where the reference returns a new array/);
  });

  it('in place where the reference is: returning a copy fails', async () => {
    const reference = 'export function f(x: Float64Array): Float64Array { for (let i = 0; i < x.length; i++) x[i] *= 2; return x; }';
    const p = bind(matchesReference, { use: 'matches-reference', call: vector(), runs: 20 });
    assert.equal((await run(p, reference, { reference })).passed, true);
    const r = await run(p, 'export function f(x: Float64Array): Float64Array { return x.map((v) => v * 2); }', { reference });
    assert.match(r.message, /^returned a new array where the reference returns argument 0 itself \(updated in place\)/);
  });

  it('defaults are graded: an omitted optional argument with a wrong default fails', async () => {
    const reference = 'export function f(x: Float64Array, k = 2): Float64Array { return x.map((v) => v * k); }';
    const call = { ...vector(8), args: [...vector(8).args, { type: 'number', min: 1, max: 3, omit: 0.5 }] };
    const p = bind(matchesReference, { use: 'matches-reference', call, runs: 30 });
    assert.equal((await run(p, reference, { reference })).passed, true);
    const r = await run(p, reference.replace('k = 2', 'k = 3'), { reference });
    assert.equal(r.passed, false);
    assert.match(r.message, /for f\(Float64Array\(\d+\) \[[^\]]*\]\)$/);
  });

  it('a tolerance in ulps: a 1-ulp spelling passes, 2,000 ulps off fails with its size', async () => {
    const p = bind(matchesReference, { use: 'matches-reference', call: vector(), tolerance: { ulps: 4 }, runs: 40 });
    const reference = 'export function f(x: Float64Array): Float64Array { return x.map((v) => Math.tanh(v) / 3); }';
    assert.equal((await run(p, 'export function f(x: Float64Array): Float64Array { return x.map((v) => Math.tanh(v) * (1 / 3)); }', { reference })).passed, true);
    const r = await run(p, 'export function f(x: Float64Array): Float64Array { return x.map((v) => (Math.tanh(v) / 3) * (1 + 2000 * Number.EPSILON)); }', { reference });
    assert.match(r.message, /^result\[\d+\] is .* \((\d+) ulps off\) \(the reference solution's value; tolerance 4 ulps\)/);
  });

  it('is a grader error, not a verdict, without the task it belongs to', async () => {
    await assert.rejects(run(property, STABLE_SOFTMAX), /matches-reference needs the task/);
  });

  it('is a grader error when the reference itself does not compile', async () => {
    await assert.rejects(run(property, STABLE_SOFTMAX, { reference: 'export function f(' }), /the reference solution does not compile/);
  });
});

describe('invariant', () => {
  const shift = (output: string) => bind(invariant, { use: 'invariant', call: vector(), transform: { kind: 'shift', arg: 0, by: { min: -2000, max: 2000 }, output }, runs: 40 });

  it('shift → same: a stable softmax passes, a naive one fails after the shift', async () => {
    assert.equal((await run(shift('same'), STABLE_SOFTMAX)).passed, true);
    const r = await run(shift('same'), NAIVE_SOFTMAX);
    assert.equal(r.passed, false);
    assert.match(r.message, /^after adding -?[\d.e+]+ to argument 0, result\[\d+\] is .*: the result must be unchanged/);
  });

  it('shift → shifted: logSumExp(x + c) = logSumExp(x) + c', async () => {
    const lse = `export function f(x: Float64Array): number { let m = -Infinity; for (const v of x) if (v > m) m = v; let s = 0; for (const v of x) s += Math.exp(v - m); return m + Math.log(s); }`;
    const p = bind(invariant, { use: 'invariant', call: vector(), transform: { kind: 'shift', arg: 0, by: { min: -2000, max: 2000 }, output: 'shifted' }, tolerance: { abs: 1e-9, rel: 1e-12 }, runs: 40 });
    assert.equal((await run(p, lse)).passed, true);
    const r = await run(p, lse.replace('return m + Math.log(s);', 'return Math.log(s);'));
    assert.match(r.message, /it must be|must be shifted by the same amount/);
  });

  it('scale with a power: f(a·x) = a^power · f(x)', async () => {
    const p = bind(invariant, { use: 'invariant', call: vector(), transform: { kind: 'scale', arg: 0, by: { min: 0.01, max: 100 }, power: 2 }, runs: 30 });
    assert.equal((await run(p, 'export function f(x: Float64Array) { return x.map((v) => v * v); }')).passed, true);
    const r = await run(p, 'export function f(x: Float64Array) { return x.map((v) => v * Math.abs(v) ** 1.01); }');
    assert.match(r.message, /^after multiplying argument 0 by [\d.e+-]+, .*scaled by the factor\^2/);
  });

  it('permute → permuted: elementwise functions pass, a running sum fails', async () => {
    const p = bind(invariant, { use: 'invariant', call: vector(), transform: { kind: 'permute', arg: 0 }, runs: 30 });
    assert.equal((await run(p, 'export function f(x: Float64Array) { return x.map((v) => Math.tanh(v)); }')).passed, true);
    const r = await run(p, 'export function f(x: Float64Array) { let s = 0; return x.map((v) => (s += v)); }');
    assert.match(r.message, /^after permuting argument 0, .*permuted the same way/);
  });

  it('a memo of the previous call cannot fake shift invariance: the result is compared with the reference\'s', async () => {
    // Naive (overflowing) softmax that replays its last result for a shifted copy of its last input: compared only
    // with itself after the base call, it would look shift-invariant.
    const memo = `let lastX: Float64Array | undefined; let lastY: Float64Array | undefined;
export function f(x: Float64Array): Float64Array {
  if (lastX !== undefined && lastY !== undefined && lastX.length === x.length && x.every((v, i) => Math.abs(v - x[0] - (lastX![i] - lastX![0])) <= 1e-9 * (1 + Math.abs(v)))) return lastY.slice();
  lastX = x.slice();
  let s = 0; for (const v of x) s += Math.exp(v);
  lastY = x.map((v) => Math.exp(v) / s);
  return lastY.slice();
}`;
    const p = bind(invariant, { use: 'invariant', call: { dims: { n: { min: 1, max: 16 } }, args: [{ type: 'array', shape: ['n'], values: { dist: 'gaussian' } }] }, transform: { kind: 'shift', arg: 0, by: { min: 800, max: 2000 } }, runs: 20 });
    // Compared only with itself, the memo still agrees with itself (NaN replayed for the base call, whichever comes
    // first): which is why a task's invariant is always checked against its reference solution as well.
    const withReference = await run(p, memo, { reference: STABLE_SOFTMAX });
    assert.equal(withReference.passed, false);
    assert.match(withReference.message, /the result must be the reference solution's result on the untransformed input, unchanged/);
    assert.equal((await run(p, STABLE_SOFTMAX, { reference: STABLE_SOFTMAX })).passed, true);
  });

  it('permute → same: order-free results (a sum, sorted output) pass', async () => {
    const p = bind(invariant, { use: 'invariant', call: vector(), transform: { kind: 'permute', arg: 0, output: 'same' }, runs: 30 });
    assert.equal((await run(p, 'export function f(x: Float64Array) { return x.slice().sort(); }')).passed, true);
  });
});

describe('finite-on-extremes', () => {
  const p = bind(finiteOnExtremes, { use: 'finite-on-extremes', call: { dims: { n: { min: 1, max: 16 } }, args: [{ type: 'array', shape: ['n'], values: { dist: 'log-uniform', min: 1e-300, max: 1e300 } }] }, runs: 40 });

  it('passes a stable implementation and fails an overflowing one, naming the value', async () => {
    assert.equal((await run(p, STABLE_SOFTMAX)).passed, true);
    const r = await run(p, NAIVE_SOFTMAX);
    assert.equal(r.passed, false);
    assert.match(r.message, /^result\[\d+\] is (NaN|Infinity|-Infinity); every output must be finite for finite inputs, for f\(/);
  });

  it('a call that throws fails too', async () => {
    const r = await run(p, `export function f(x: Float64Array) { if (x.some((v) => Math.abs(v) > 1e200)) throw new RangeError('too big'); return x; }`);
    assert.match(r.message, /^f\(\) threw RangeError: too big, for f\(/);
  });
});

describe('call.returns', () => {
  const call = { dims: { n: { min: 1, max: 16 } }, args: [{ type: 'array', shape: ['n'], values: { dist: 'gaussian' } }], returns: 'Float64Array' };
  const p = bind(finiteOnExtremes, { use: 'finite-on-extremes', call, runs: 10 });

  it('a result of another type than the stated one fails, naming both', async () => {
    assert.equal((await run(p, 'export function f(x: Float64Array) { return x.map((v) => 2 * v); }')).passed, true);
    const f32 = await run(p, 'export function f(x: Float64Array) { return Float32Array.from(x); }');
    assert.match(f32.message, /^returned Float32Array, not a Float64Array, for f\(/);
    const plain = await run(p, 'export function f(x: Float64Array) { return Array.from(x); }');
    assert.match(plain.message, /^returned a plain array, not a Float64Array, for f\(/);
    // Without `returns` the numbers alone are judged, as before.
    const loose = bind(finiteOnExtremes, { use: 'finite-on-extremes', call: { ...call, returns: undefined }, runs: 10 });
    assert.equal((await run(loose, 'export function f(x: Float64Array) { return Float32Array.from(x); }')).passed, true);
  });
});

describe('identity-when', () => {
  const call = { dims: { n: { min: 1, max: 64 } }, args: [{ type: 'array', shape: ['n'], values: { dist: 'log-uniform', min: 1e-100, max: 1e100 } }, { type: 'const', value: 0 }] };
  const p = bind(identityWhen, { use: 'identity-when', call, runs: 20 });

  it('under the stated condition (p = 0) the result must equal the input bit for bit', async () => {
    assert.equal((await run(p, 'export function f(x: Float64Array, p: number) { return x.map((v) => v / (1 - p)); }')).passed, true);
    const r = await run(p, 'export function f(x: Float64Array, p: number) { return x.map((v) => v * (1 + 1e-15) / (1 - p)); }');
    assert.match(r.message, /^changed element \d+ of \d+ from .* here it must be the identity \(bit for bit\)/);
  });

  it('with a tolerance, rounding-level differences pass', async () => {
    const tolerant = bind(identityWhen, { use: 'identity-when', call, tolerance: { rel: 1e-12 }, runs: 20 });
    assert.equal((await run(tolerant, 'export function f(x: Float64Array, p: number) { return x.map((v) => v * (1 + 1e-15) / (1 - p)); }')).passed, true);
  });

  it('the identity must come back as a Float64Array, not a Float32Array of the same values', async () => {
    const r = await run(p, 'export function f(x: Float64Array, p: number) { return new Float32Array(x); }');
    assert.match(r.message, /^returned a Float32Array of length \d+; it must equal argument 0, a Float64Array/);
  });

  it('works on a class after a `before` method (eval mode)', async () => {
    const layer = `export class L { training = true; eval() { this.training = false; } forward(x: Float64Array) { return this.training ? x.map((v) => v * 2) : x; } }`;
    const q = bind(identityWhen, { use: 'identity-when', call: { export: 'L', construct: [], before: ['eval'], method: 'forward', ...vector() }, runs: 10 });
    assert.equal((await run(q, layer, { subject: 'L' })).passed, true);
    const r = await run(q, layer.replace('this.training = false;', ''), { subject: 'L' });
    assert.match(r.message, /for new L\(\)\.eval\(\)\.forward\(/);
  });
});

const HE = (std: string, body = 'w[i] = std * r * Math.cos(t); if (i + 1 < w.length) w[i + 1] = std * r * Math.sin(t);') => `export function f(fanIn: number, fanOut: number, rng: () => number): Float64Array {
  const std = ${std};
  const w = new Float64Array(fanIn * fanOut);
  for (let i = 0; i < w.length; i += 2) { const r = Math.sqrt(-2 * Math.log(1 - rng())); const t = 2 * Math.PI * rng(); ${body} }
  return w;
}`;
const initCall = { dims: { fanIn: { min: 16, max: 256 }, fanOut: { min: 64, max: 256 } }, args: [{ type: 'dim', name: 'fanIn' }, { type: 'dim', name: 'fanOut' }, { type: 'rng' }] };

describe('moment-ratio', () => {
  const p = bind(momentRatio, { use: 'moment-ratio', call: initCall, target: { value: 2, divideBy: ['fanIn'] }, distribution: 'gaussian', runs: 3 });

  it('passes N(0, 2/fanIn) weights and reports the sample size it used', async () => {
    const r = await run(p, HE('Math.sqrt(2 / fanIn)'));
    assert.equal(r.passed, true, r.message);
    assert.equal(r.metrics?.['samplesPerRun'], momentSamples('gaussian', 0.05, 0.05, 1e-9));
  });

  it('fails the wrong gain with the measured ratio', async () => {
    const r = await run(p, HE('Math.sqrt(1 / fanIn)'));
    assert.match(r.message, /^E\[Y²\] is 0\.(4|5)\d* × the required [\d.e-]+ \(n = \d+\); it must be within ±0\.05 of it, for f\(\d+, \d+, rng\)/);
  });

  it('fails constant weights on the mean', async () => {
    const r = await run(p, HE('Math.sqrt(2 / fanIn)', 'w[i] = std; if (i + 1 < w.length) w[i + 1] = std;'));
    assert.match(r.message, /^the mean is 1 standard deviations/);
  });

  it('too few values (an empty result) fails the property instead of breaking the grader', async () => {
    const r = await run(p, 'export function f(a: number, b: number, rng: () => number) { return new Float64Array(0); }');
    assert.equal(r.passed, false);
    assert.match(r.message, /^returned no values, for f\(/);
  });

  it('uniform and rademacher families: correct outputs pass', async () => {
    const u = bind(momentRatio, { use: 'moment-ratio', call: initCall, target: { value: 6, divideBy: ['fanIn', 'fanOut'] }, distribution: 'uniform', runs: 2 });
    const uniform = `export function f(a: number, b: number, rng: () => number) { const bound = Math.sqrt(18 / (a + b)); return Float64Array.from({ length: a * b }, () => (2 * rng() - 1) * bound); }`;
    assert.equal((await run(u, uniform)).passed, true);
    const s = bind(momentRatio, { use: 'moment-ratio', call: initCall, target: { value: 1 }, distribution: 'rademacher', runs: 2 });
    assert.equal((await run(s, 'export function f(a: number, b: number, rng: () => number) { return Float64Array.from({ length: a * b }, () => (rng() < 0.5 ? -1 : 1)); }')).passed, true);
  });

  it('sample sizes: exact closed forms and the smallest n meeting the Bernstein bound', () => {
    // χ²: the upper tail half-width 2√(x/n) + 2x/n at x = ln(2/δ) equals the tolerance at the returned n.
    const n = chiSquareSamples(0.05, 5e-10);
    const x = Math.log(2 / 5e-10);
    assert.ok(2 * Math.sqrt(x / n) + (2 * x) / n <= 0.05 + 1e-12);
    assert.ok(2 * Math.sqrt(x / (n - 2)) + (2 * x) / (n - 2) > 0.05);
    assert.equal(gaussianMeanSamples(0.05, 5e-10), Math.ceil((2 * x) / 0.0025));
    const b = bernsteinSamples(0.05, 0.8, 2, 5e-10);
    assert.ok(bernsteinHalfWidth(b * 0.8, 2, 5e-10) / b <= 0.05);
    assert.ok(bernsteinHalfWidth((b - 1) * 0.8, 2, 5e-10) / (b - 1) > 0.05);
    // Tighter tolerances and rarer false rejects need more samples.
    assert.ok(momentSamples('gaussian', 0.02, 0.05, 1e-9) > momentSamples('gaussian', 0.05, 0.05, 1e-9));
    assert.ok(momentSamples('uniform', 0.05, 0.05, 1e-12) > momentSamples('uniform', 0.05, 0.05, 1e-6));
  });

  it('small results are pooled over calls sent in one batch, up to maxCalls', async () => {
    const tiny = { ...initCall, dims: { fanIn: { min: 1, max: 1 }, fanOut: { min: 64, max: 64 } } };
    const n = momentSamples('gaussian', 0.05, 0.05, 1e-9);
    const q = bind(momentRatio, { use: 'moment-ratio', call: tiny, target: { value: 2, divideBy: ['fanIn'] }, distribution: 'gaussian', runs: 1 });
    const r = await run(q, HE('Math.sqrt(2 / fanIn)'));
    assert.equal(r.passed, true, r.message);
    assert.equal(r.metrics?.['calls'], Math.ceil(n / 64));
    const capped = bind(momentRatio, { use: 'moment-ratio', call: tiny, target: { value: 2, divideBy: ['fanIn'] }, distribution: 'gaussian', runs: 1, maxCalls: 100 });
    assert.match((await run(capped, HE('Math.sqrt(2 / fanIn)'))).message, new RegExp(`^100 calls give only 6400 values; ${n} are needed \\(maxCalls\\), for f\\(1, 64, rng\\)`));
  });

  it('a class call is constructed afresh per batched call, with its before methods, and a throw names the step', async () => {
    const call = { dims: { n: { min: 8, max: 8 } }, construct: [{ type: 'rng' }], before: ['warm'], method: 'sample', args: [{ type: 'dim', name: 'n' }] };
    const q = bind(momentRatio, { use: 'moment-ratio', call, target: { value: 1 }, distribution: 'rademacher', runs: 1, maxCalls: 5000 });
    const sampler = (warm: string) => `export class S {
  rng: () => number; ready = false;
  constructor(rng: () => number) { this.rng = rng; }
  warm() { ${warm} this.ready = true; }
  sample(n: number) { if (!this.ready) throw new Error('not warmed'); return Float64Array.from({ length: n }, () => (this.rng() < 0.5 ? -1 : 1)); }
}`;
    const ok = await run(q, sampler(''), { subject: 'S' });
    assert.equal(ok.passed, true, ok.message);
    assert.ok(ok.metrics!['calls']! > 1);
    assert.match((await run(q, sampler("throw new TypeError('cold');"), { subject: 'S' })).message, /^warm\(\) threw TypeError: cold, for new S\(rng\)\.warm\(\)\.sample\(8\)/);
  });

  it('falseRejectBound is runs × falseReject', () => {
    const q = bind(momentRatio, { use: 'moment-ratio', call: initCall, target: { value: 2 }, distribution: 'gaussian', runs: 5, falseReject: 1e-8 });
    assert.equal(q.falseRejectBound, 5e-8);
  });
});

describe('reproducible', () => {
  const p = bind(reproducible, { use: 'reproducible', call: { ...initCall, dims: { fanIn: { min: 1, max: 8 }, fanOut: { min: 1, max: 8 } } }, runs: 10 });

  it('passes a function that draws only from the injected rng', async () => {
    assert.equal((await run(p, HE('Math.sqrt(2 / fanIn)'))).passed, true);
  });

  it('fails one that uses Math.random', async () => {
    const r = await run(p, HE('Math.sqrt(2 / fanIn)').replace('1 - rng()', '1 - Math.random()'));
    assert.match(r.message, /^called twice with the same rng seeds, .*not Math\.random/);
  });

  it('fails one with a hidden fixed-seed generator', async () => {
    const fixed = HE('Math.sqrt(2 / fanIn)').replace('const w =', 'let s = 42; rng = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);\n  const w =');
    const r = await run(p, fixed);
    assert.match(r.message, /^the same result for two different rng seeds/);
  });

  it('another seed must give another result whatever its type: a fixed nested array fails, a random one passes', async () => {
    const rows = (body: string) => `export function f(fanIn: number, fanOut: number, rng: () => number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < fanOut; r++) { const row: number[] = []; for (let i = 0; i < fanIn; i++) row.push(${body}); out.push(row); }
  return out;
}`;
    assert.equal((await run(p, rows('rng() - 0.5'))).passed, true);
    const r = await run(p, rows('Math.sin(r * 7 + i)'));
    assert.match(r.message, /^the same result for two different rng seeds/);
  });

  it('randomness written into an argument counts, and a fixed write fails', async () => {
    const call = { dims: { n: { min: 1, max: 8 } }, args: [{ type: 'array', shape: ['n'], values: { dist: 'constant', value: 0 } }, { type: 'rng' }] };
    const q = bind(reproducible, { use: 'reproducible', call, runs: 5 });
    assert.equal((await run(q, 'export function f(w: Float64Array, rng: () => number): void { for (let i = 0; i < w.length; i++) w[i] = rng(); }')).passed, true);
    const r = await run(q, 'export function f(w: Float64Array, rng: () => number): void { for (let i = 0; i < w.length; i++) w[i] = i / 7; }');
    assert.match(r.message, /^the same result for two different rng seeds/);
  });
});
