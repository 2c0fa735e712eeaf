import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { callSchema, caseArbitrary, materialize, sampleValues, valuesSchema } from '../../properties/_inputs.ts';
import { boundFor, close, mismatch, toleranceSchema, ulp } from '../../properties/_values.ts';
import { SpecError } from '../../src/errors.ts';
import type { OracleValue } from '../../src/sandbox/protocol.ts';
import { parseTask } from '../../src/task/loadTask.ts';

// The declarative input language: what YAML can say, what it generates, and how mistakes are reported.

/** A minimal valid task whose only property is `property` (YAML, indented as a list item under properties). */
function task(property: string): string {
  return `id: t
title: T
version: 1
prompt: Fix f.
files:
  - path: m.ts
    role: editable
    content: |
      export function f(x: Float64Array): Float64Array { return x.map((v) => v + 1); }
bug: { file: m.ts, line: "export function f(x: Float64Array): Float64Array { return x.map((v) => v + 1); }", description: adds one }
solution: { edits: [{ file: m.ts, find: "v + 1", replace: "v" }] }
grader:
  subject: { file: m.ts, export: f }
  properties:
${property
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;
}

function problems(property: string): string[] {
  try {
    parseTask(task(property), 't.yaml');
  } catch (e) {
    if (e instanceof SpecError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

const ARRAY = '{ type: array, shape: [n], values: { dist: uniform } }';

describe('input language: validation at load time', () => {
  it('a well-formed generic property loads', () => {
    assert.deepEqual(problems(`- use: matches-reference\n  call: { dims: { n: { min: 1, max: 4 } }, args: [${ARRAY}] }`), []);
  });

  it('names a misspelt property and suggests the right one', () => {
    const [p] = problems(`- use: matches-referense\n  call: { args: [] }`);
    assert.match(p ?? '', /^grader\.properties\[0\]\.use: unknown property "matches-referense" \(did you mean "matches-reference"\?\)/);
  });

  it('names a misspelt parameter', () => {
    assert.deepEqual(problems(`- use: matches-reference\n  call: { args: [] }\n  tolerence: { abs: 0 }`), ['grader.properties[0].tolerence: unknown key "tolerence"']);
  });

  it('names misspelt keys and values inside call, args and values', () => {
    assert.deepEqual(problems(`- use: finite-on-extremes\n  call: { dims: { n: { min: 1, max: 4 } }, args: [{ type: array, shape: [n], values: { dist: gausian } }] }`), [
      'grader.properties[0].call.args[0].values.dist: unknown distribution "gausian" (did you mean "gaussian"?); expected one of uniform, gaussian, log-uniform, constant, choice, integers, bernoulli',
    ]);
    assert.deepEqual(problems(`- use: finite-on-extremes\n  call: { args: [{ type: number, min: 0, max: 1, lg: true }] }`), ['grader.properties[0].call.args[0].lg: unknown key "lg"']);
    assert.deepEqual(problems(`- use: finite-on-extremes\n  call: { arg: [] }`), ['grader.properties[0].call.arg: unknown key "arg"']);
  });

  it('cross-field mistakes: unknown dimensions, min > max, class calls without a method, bad argument indices', () => {
    assert.deepEqual(problems(`- use: finite-on-extremes\n  call: { args: [${ARRAY}] }`), ['grader.properties[0].call.args[0]: unknown dimension "n"; declare it under dims']);
    assert.deepEqual(problems(`- use: finite-on-extremes\n  call: { dims: { n: { min: 5, max: 4 } }, args: [${ARRAY}] }`), ['grader.properties[0].call.dims.n: dimension "n": min must not exceed max']);
    assert.deepEqual(problems(`- use: identity-when\n  call: { construct: [], args: [] }`), [
      'grader.properties[0].call: a class call needs `method` (the method to call after `construct`)',
      'grader.properties[0].input: argument 0 does not exist (the call has 0)',
    ]);
    assert.deepEqual(problems(`- use: invariant\n  call: { args: [{ type: rng }] }\n  transform: { kind: shift, arg: 0, by: { min: 0, max: 1 } }`), [
      'grader.properties[0].transform.arg: argument 0 is a rng; shift needs an array or a number',
    ]);
    assert.deepEqual(problems(`- use: moment-ratio\n  call: { args: [] }\n  target: { value: 1, divideBy: [fanIn] }\n  distribution: gaussian`), [
      'grader.properties[0].target.divideBy[0]: unknown dimension "fanIn"; declare it under call.dims',
      'grader.properties[0].call.args: a random function needs an injected generator among its arguments ({ type: rng })',
    ]);
    assert.deepEqual(problems(`- use: reproducible\n  call: { args: [${ARRAY.replace('[n]', '[3]')}] }`), [
      'grader.properties[0].varies: `varies` needs an injected generator among the arguments ({ type: rng }); set varies: false for a deterministic function',
    ]);
  });

  it('range checks inside values', () => {
    assert.deepEqual(problems(`- use: finite-on-extremes\n  call: { args: [{ type: array, shape: [2], values: { dist: log-uniform, min: 0, max: 1 } }] }`), [
      'grader.properties[0].call.args[0].values.min: Too small: expected number to be >0',
    ]);
  });
});

describe('input language: generation', () => {
  const call = callSchema.parse({
    dims: { rows: { min: 1, max: 5 }, cols: { min: 2, max: 7 } },
    args: [
      { type: 'array', shape: ['rows', 'cols'], values: { dist: 'gaussian', scale: { min: 2, max: 2 }, offset: { min: 100, max: 100 } } },
      { type: 'dim', name: 'cols' },
      { type: 'number', min: 1, max: 10, integer: true },
      { type: 'const', value: 1e-5 },
      { type: 'rng' },
    ],
  });

  it('shapes follow the drawn dimensions; numbers, constants and rngs come through', () => {
    for (const draw of fc.sample(caseArbitrary(call), { seed: 1, numRuns: 50 })) {
      const c = materialize(call, draw);
      const [x, cols, k, eps, rng] = c.args;
      const rows = draw.dims['rows']!;
      assert.ok(x instanceof Float64Array && x.length === rows * draw.dims['cols']!);
      assert.equal(cols, draw.dims['cols']);
      assert.ok(typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= 10);
      assert.equal(eps, 1e-5);
      assert.ok(typeof rng === 'object' && rng !== null && 'rng' in rng && Number.isInteger(rng.rng));
    }
  });

  it('the same draw gives the same arguments; rngShift changes only the generators', () => {
    const [draw] = fc.sample(caseArbitrary(call), { seed: 2, numRuns: 1 });
    const a = materialize(call, draw!);
    const b = materialize(call, draw!);
    const c = materialize(call, draw!, 1);
    assert.deepEqual(a, b);
    assert.deepEqual(a.args.slice(0, 4), c.args.slice(0, 4));
    assert.notDeepEqual(a.args[4], c.args[4]);
  });

  it('distributions: ranges, signs, affine change, and moments that match their definition', () => {
    const uniform = sampleValues(valuesSchema.parse({ dist: 'uniform', min: -3, max: 5, specials: false }), 20_000, 1);
    assert.ok(uniform.every((v) => v >= -3 && v < 5));
    const logs = sampleValues(valuesSchema.parse({ dist: 'log-uniform', min: 1e-5, max: 1e5, signs: 'negative', specials: false }), 20_000, 2);
    assert.ok(logs.every((v) => v <= -1e-5 && v >= -1e5));
    const g = sampleValues(valuesSchema.parse({ dist: 'gaussian', mean: 1, std: 2, specials: false }), 200_000, 3, 10, 3);
    const mean = g.reduce((s, v) => s + v, 0) / g.length;
    const sd = Math.sqrt(g.reduce((s, v) => s + (v - mean) ** 2, 0) / g.length);
    // x = offset + scale·z with z ~ N(1, 2²): mean 13, sd 6; 6σ sampling margins.
    assert.ok(Math.abs(mean - 13) < (6 * 6) / Math.sqrt(g.length), `mean ${mean}`);
    assert.ok(Math.abs(sd / 6 - 1) < 0.01, `sd ${sd}`);
    const choice = sampleValues(valuesSchema.parse({ dist: 'choice', values: [0, 1e308] }), 1000, 4);
    assert.ok(choice.every((v) => v === 0 || v === 1e308) && choice.includes(0) && choice.includes(1e308));
    assert.ok(sampleValues(valuesSchema.parse({ dist: 'constant', value: 7 }), 10, 5).every((v) => v === 7));
  });
});

describe('input language: what the generators cover by default', () => {
  it('special values: exact zeros, −0, integers, subnormals, ties and the maximum twice, over a few hundred arrays', () => {
    const spec = valuesSchema.parse({ dist: 'gaussian', scale: { min: 1, max: 1 } });
    const seen = { zero: 0, negZero: 0, integer: 0, subnormal: 0, maxTwice: 0, untouched: 0 };
    for (let seed = 0; seed < 400; seed++) {
      const x = sampleValues(spec, 50, seed, 0, 3);
      const max = Math.max(...x);
      if (x.some((v) => Object.is(v, 0))) seen.zero++;
      if (x.some((v) => Object.is(v, -0))) seen.negZero++;
      if (x.some((v) => v !== 0 && Number.isInteger(v))) seen.integer++;
      if (x.some((v) => v !== 0 && Math.abs(v) < 2 ** -1022)) seen.subnormal++;
      if (x.filter((v) => v === max).length >= 2) seen.maxTwice++;
      if (x.every((v) => v !== 0 && !Number.isInteger(v) && Math.abs(v) >= 2 ** -1022) && new Set(x).size === x.length) seen.untouched++;
    }
    // Half the arrays are left as drawn; each kind shows up in a good share of the others.
    for (const [kind, count] of Object.entries(seen)) assert.ok(count >= 20, `${kind}: ${count} of 400`);
    assert.ok(seen.untouched >= 150 && seen.untouched <= 250, `untouched: ${seen.untouched}`);
  });

  it('special values keep a non-negative distribution non-negative, and are off for constants or on request', () => {
    const positive = valuesSchema.parse({ dist: 'log-uniform', min: 1e-10, max: 1e2, signs: 'positive' });
    for (let seed = 0; seed < 200; seed++) assert.ok(sampleValues(positive, 40, seed).every((v) => v >= 0 && !Object.is(v, -0)));
    for (let seed = 0; seed < 50; seed++) assert.ok(sampleValues(valuesSchema.parse({ dist: 'constant', value: 0 }), 40, seed).every((v) => Object.is(v, 0)));
    const off = valuesSchema.parse({ dist: 'uniform', min: 0.25, max: 0.75, specials: false });
    for (let seed = 0; seed < 50; seed++) assert.ok(sampleValues(off, 40, seed).every((v) => v >= 0.25 && v < 0.75));
  });

  it('dimensions are log-uniform by default: every decade drawn often, small sizes included', () => {
    const call = callSchema.parse({ dims: { n: { min: 1, max: 10_000 }, m: { min: 1, max: 10_000, log: false } }, args: [] });
    const draws = fc.sample(caseArbitrary(call), { seed: 3, numRuns: 2000 });
    const decades = [0, 0, 0, 0];
    for (const d of draws) decades[Math.min(3, Math.floor(Math.log10(d.dims['n']!)))]!++;
    // fast-check biases draws towards the small end, on top of the log scale; every decade still gets its share.
    for (const count of decades) assert.ok(count > 300 && count < 800, `decades ${decades.join(', ')}`);
    const uniformSmall = draws.filter((d) => d.dims['m']! < 1000).length;
    assert.ok(uniformSmall < 700, `log: false stays uniform (${uniformSmall} of 2000 below 1000)`);
  });

  it('optional arguments are left out: trailing ones dropped from the call, inner ones passed as undefined', () => {
    const call = callSchema.parse({
      args: [
        { type: 'const', value: 1 },
        { type: 'number', min: 2, max: 3, omit: 0.5 },
        { type: 'const', value: 4 },
        { type: 'number', min: 5, max: 6, omit: 0.5 },
      ],
    });
    const lengths = new Set<number>();
    let innerOmitted = 0;
    for (const draw of fc.sample(caseArbitrary(call), { seed: 4, numRuns: 200 })) {
      const { args } = materialize(call, draw);
      lengths.add(args.length);
      assert.ok(args.length === 3 || args.length === 4);
      if (args[1] === undefined) innerOmitted++;
      else assert.ok(typeof args[1] === 'number' && args[1] >= 2 && args[1] <= 3);
      if (args.length === 4) assert.ok(typeof args[3] === 'number');
    }
    assert.deepEqual([...lengths].sort(), [3, 4]);
    assert.ok(innerOmitted > 50 && innerOmitted < 150, `inner omitted ${innerOmitted} of 200`);
  });

  it('number ranges and integer arrays may name a dimension (class labels below K); 0/1 arrays', () => {
    const call = callSchema.parse({
      dims: { K: { min: 2, max: 50 }, n: { min: 1, max: 30 } },
      args: [
        { type: 'number', min: 0, max: { dim: 'K', plus: -1 }, integer: true },
        { type: 'array', shape: ['n'], values: { dist: 'integers', min: 0, max: { dim: 'K', plus: -1 } } },
        { type: 'array', shape: ['n'], values: { dist: 'bernoulli', p: 0.3 } },
        { type: 'number', min: 0.5, max: { dim: 'K' } },
      ],
    });
    for (const draw of fc.sample(caseArbitrary(call), { seed: 5, numRuns: 100 })) {
      const K = draw.dims['K']!;
      const [target, labels, mask, r] = materialize(call, draw).args;
      assert.ok(typeof target === 'number' && Number.isInteger(target) && target >= 0 && target < K, `target ${String(target)} with K = ${K}`);
      assert.ok(labels instanceof Float64Array && labels.every((v) => Number.isInteger(v) && v >= 0 && v < K));
      assert.ok(mask instanceof Float64Array && mask.every((v) => v === 0 || v === 1));
      assert.ok(typeof r === 'number' && r >= 0.5 && r <= K);
    }
  });

  it('a bound naming an undeclared dimension is a load-time error', () => {
    assert.deepEqual(problems(`- use: finite-on-extremes\n  call: { args: [{ type: number, min: 0, max: { dim: K } }] }`), ['grader.properties[0].call.args[0]: unknown dimension "K" in a bound; declare it under dims']);
  });
});

describe('tolerances', () => {
  it('ulp is the spacing of the doubles, exactly, subnormals included', () => {
    assert.equal(ulp(1), 2 ** -52);
    assert.equal(ulp(1 - 2 ** -53), 2 ** -53);
    assert.equal(ulp(-1024), 2 ** -42);
    assert.equal(ulp(3e-320), 2 ** -1074);
    assert.equal(ulp(0), 2 ** -1074);
    assert.equal(ulp(Number.MAX_VALUE), 2 ** 971);
  });

  it('stated in ulps, abs and rel default to 0; otherwise the property defaults stand', () => {
    const schema = toleranceSchema(1e-12, 1e-9);
    assert.deepEqual(schema.parse({ ulps: 4 }), { abs: 0, rel: 0, ulps: 4 });
    assert.deepEqual(schema.parse(undefined), { abs: 1e-12, rel: 1e-9 });
    assert.deepEqual(schema.parse({ abs: 0 }), { abs: 0, rel: 1e-9 });
  });

  it('4 ulps: accepts 4 ulps off, rejects 5, and 2,000 ulps off is reported as such', () => {
    const b = boundFor(toleranceSchema(0, 0).parse({ ulps: 4 }), []);
    const w = 0.7;
    assert.ok(close(w + 4 * ulp(w), w, b));
    assert.ok(!close(w + 5 * ulp(w), w, b));
    const got: OracleValue = { type: 'number', value: w + 2000 * ulp(w) };
    assert.match(mismatch(got, { type: 'number', value: w }, b, 'result') ?? '', /^result is 0\.70000000000\d+, expected 0\.7 \(2000 ulps off\)$/);
  });

  it('arrays with dimensions (numpy) must have the shape of the reference; the same values in another shape are wrong', () => {
    const b = boundFor(toleranceSchema(0, 0).parse({ ulps: 4 }), []);
    const value = new Float64Array([0.25, 0.75]);
    const typed = (shape?: number[]): OracleValue => ({ type: 'typed', kind: 'Float64Array', value, arg: -1, ...(shape === undefined ? {} : { shape }) });
    assert.equal(mismatch(typed([1, 2]), typed([2]), b, 'result'), 'result has shape (1, 2), expected (2,)');
    assert.equal(mismatch(typed([2, 1]), typed([1, 2]), b, 'result'), 'result has shape (2, 1), expected (1, 2)');
    assert.equal(mismatch(typed([2]), typed([2]), b, 'result'), null);
    // A child without dimensions (TypeScript) sends none: the length alone is compared.
    assert.equal(mismatch(typed(), typed([2]), b, 'result'), null);
  });

  it('the input term: 4·ε·(max|x| + n), relative or absolute, from the named argument', () => {
    const tol = toleranceSchema(0, 0).parse({ ulps: 4, input: { arg: 0, ulps: 4 } });
    const x = new Float64Array([1000, -3000, 2]);
    assert.deepEqual(boundFor(tol, [x]), { abs: 0, rel: 4 * 2 ** -52 * 3003, ulps: 4 });
    const absolute = toleranceSchema(0, 0).parse({ input: { arg: 1, ulps: 2, relative: false } });
    assert.deepEqual(boundFor(absolute, [x, -8]), { abs: 2 * 2 ** -52 * 9, rel: 0, ulps: 0 });
  });
});
