import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { callSchema, caseArbitrary, materialize, sampleValues, valuesSchema } from '../../properties/_inputs.ts';
import { SpecError } from '../../src/errors.ts';
import { parseTask } from '../../src/spec/loadTask.ts';

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
      assert.ok(typeof rng === 'object' && rng !== null && !(rng instanceof Float64Array) && Number.isInteger(rng.rng));
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
