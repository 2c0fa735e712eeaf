/**
 * The Python runtime's mutants (src/runtime/python/_mutate.py through mutatePython, the runtime's `mutants` hook
 * that `rltask audit` uses): every operator family of the TypeScript audit, located on Python's own syntax tree,
 * each mutant compiled, in a deterministic order.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { MUTATION_OPERATORS } from '../../../src/audit/mutants.ts';
import { mutatePython } from '../../../src/runtime/python/mutatePython.ts';
import { runtimeFor } from '../../../src/runtime/registry.ts';

// Every assert.ok here has a message (see spec/audit/mutants.spec.ts).

/** One function with something for each operator family. */
const EVERYTHING = `import math

import numpy as np


def f(a, b, xs):
    """A docstring is no code to mutate: 1 + 2."""
    y = a ** b / 2 ** -3
    z = -a if a < b <= 3 and not b else max(a, b)
    for i in range(len(xs) - 1):
        xs[i] += math.exp(a) % 2
    i = 0
    while i < len(xs):
        i += 1
    if z > 0:
        raise ValueError("no")
    np.clip(xs, 0, 1)
    return np.sqrt(y) + np.floor(z) + math.log(a)
`;

const ids = async (source: string, operator?: string): Promise<string[]> => (await mutatePython(source, 'm.py')).filter((m) => operator === undefined || m.operator === operator).map((m) => m.id);

describe('mutatePython: the operators', () => {
  it('makes mutants of every operator family, each with a location, the edited text and a whole source that compiles', async () => {
    const mutants = await mutatePython(EVERYTHING, 'm.py');
    for (const op of MUTATION_OPERATORS) assert.ok(mutants.some((m) => m.operator === op), `no ${op} mutant`);
    for (const m of mutants) {
      assert.match(m.id, /^L\d+:\d+ [a-z-]+: .+ → .*$/, m.id);
      assert.equal(m.id, `L${m.line}:${m.column} ${m.operator}: ${m.original} → ${m.replacement}`);
      assert.notEqual(m.source, EVERYTHING, `${m.id}: the source is unchanged`);
    }
    assert.equal(new Set(mutants.map((m) => m.id)).size, mutants.length, 'ids are unique');
    assert.equal(new Set(mutants.map((m) => m.source)).size, mutants.length, 'no two mutants are the same program');
    // Every mutant compiles (Python's own compile, outside the sandbox: the test's input is trusted).
    const script = 'import json, sys\nfor s in json.load(sys.stdin):\n    compile(s, "m.py", "exec")\nprint("ok")';
    assert.equal(execFileSync('python3', ['-c', script], { input: JSON.stringify(mutants.map((m) => m.source)) }).toString().trim(), 'ok');
    // The docstring's numbers are a string: untouched.
    assert.ok(!mutants.some((m) => m.line === 7), 'a docstring was mutated');
  });

  it('spells each family as the TypeScript audit does', async () => {
    assert.deepEqual(await ids(EVERYTHING, 'arithmetic'), [
      'L8:11 arithmetic: ** → *',
      'L8:16 arithmetic: / → *',
      'L8:20 arithmetic: 2 ** -3 → (2 * -3)',
      'L10:28 arithmetic: - → +',
      'L11:15 arithmetic: += → -=',
      'L11:30 arithmetic: % → *',
      'L14:11 arithmetic: += → -=',
      'L18:23 arithmetic: + → -',
      'L18:37 arithmetic: + → -',
    ]);
    assert.deepEqual(await ids(EVERYTHING, 'comparison'), [
      'L9:17 comparison: < → <=',
      'L9:17 comparison: < → >=',
      'L9:17 comparison: < → >',
      'L9:21 comparison: <= → <',
      'L9:21 comparison: <= → >',
      'L9:21 comparison: <= → >=',
      'L13:13 comparison: < → <=',
      'L13:13 comparison: < → >=',
      'L13:13 comparison: < → >',
      'L15:10 comparison: > → >=',
      'L15:10 comparison: > → <=',
      'L15:10 comparison: > → <',
    ]);
    assert.deepEqual(await ids(EVERYTHING, 'logical'), ['L9:26 logical: and → or']);
    assert.deepEqual(await ids(EVERYTHING, 'unary'), ['L9:9 unary: -a → a', 'L9:30 unary: not b → b']);
    assert.deepEqual((await ids(EVERYTHING, 'constant')).filter((id) => id.startsWith('L8:23')), ['L8:23 constant: -3 → -2', 'L8:23 constant: -3 → -4', 'L8:23 constant: -3 → -6', 'L8:23 constant: -3 → -1.5', 'L8:23 constant: -3 → 0']);
    assert.deepEqual(await ids(EVERYTHING, 'function-swap'), [
      'L9:41 function-swap: max → min',
      'L11:23 function-swap: exp → expm1',
      'L18:12 function-swap: np.sqrt(y) → y',
      'L18:15 function-swap: sqrt → cbrt',
      'L18:28 function-swap: floor → round',
      'L18:28 function-swap: floor → ceil',
      'L18:44 function-swap: log → log1p',
    ]);
    assert.deepEqual(await ids(EVERYTHING, 'statement-removal'), [
      'L11:9 statement-removal: xs[i] += math.exp(a) % 2 → pass',
      'L14:9 statement-removal: i += 1 → pass',
      'L15:5 statement-removal: if z > 0: raise ValueError("no") → pass',
      'L17:5 statement-removal: np.clip(xs, 0, 1) → pass',
      'L18:5 statement-removal: return np.sqrt(y) + np.floor(z) + math.log(a) → pass',
    ]);
    // max(a, b) is commutative: not swapped.
    assert.deepEqual(await ids(EVERYTHING, 'argument-swap'), ['L17:13 argument-swap: xs, 0 → 0, xs']);
    assert.deepEqual(await ids(EVERYTHING, 'condition-flip'), [
      'L9:15 condition-flip: a < b <= 3 and not b → not (a < b <= 3 and not b)',
      'L13:11 condition-flip: i < len(xs) → not (i < len(xs))',
      'L15:8 condition-flip: z > 0 → not (z > 0)',
    ]);
    assert.deepEqual(await ids(EVERYTHING, 'loop-bound'), ['L10:20 loop-bound: len(xs) - 1 → len(xs) - 1 + 1', 'L10:20 loop-bound: len(xs) - 1 → len(xs) - 1 - 1', 'L13:15 loop-bound: len(xs) → len(xs) - 1']);
  });

  it('keeps `x / y ** z` together when ** becomes *, and puts `pass` where it removes a statement (the guard of a lone raise is removed, not the raise)', async () => {
    const m = (await mutatePython(EVERYTHING, 'm.py')).find((x) => x.id === 'L8:20 arithmetic: 2 ** -3 → (2 * -3)');
    assert.ok(m !== undefined, 'no ** → * mutant inside a division');
    assert.equal(m.source.split('\n')[7], '    y = a ** b / (2 * -3)');
    const removed = (await mutatePython(EVERYTHING, 'm.py')).find((x) => x.id.startsWith('L14:9 statement-removal'));
    assert.equal(removed?.source.split('\n')[13], '        pass');
  });

  it('is deterministic, the same list for the same source, and empty for a source that does not parse', async () => {
    assert.deepEqual(await mutatePython(EVERYTHING, 'm.py'), await mutatePython(EVERYTHING, 'm.py'));
    assert.deepEqual(await mutatePython('def f(:\n', 'm.py'), []);
  });

  it("is the python runtime's mutants hook", () => {
    assert.equal(runtimeFor('python').mutants, mutatePython);
    assert.equal(runtimeFor('typescript').mutants, undefined);
  });
});
