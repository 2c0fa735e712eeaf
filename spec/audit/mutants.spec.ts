import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ts } from 'ts-morph';
import type { Mutant } from '../../src/audit/AuditProgram.ts';
import { MUTATION_OPERATORS, mutantsOf, sampleMutants } from '../../src/audit/mutants.ts';
import { transpileModule } from '../../src/runtime/typescript/transpile.ts';
import { applyEdits, loadTask } from '../../src/task/loadTask.ts';
import { ROOT } from '../_helpers.ts';

// Every assert.ok here has a message: under tsx, a failing assert.ok without one can hang node:test while assert
// reads the call's source back to describe it (seen on Node 20 with this file).

const ids = (source: string, operator?: string): string[] =>
  mutantsOf(source, 'subject.ts')
    .filter((m) => operator === undefined || m.operator === operator)
    .map((m) => m.id);

const only = (source: string, id: string): Mutant => {
  const found = mutantsOf(source, 'subject.ts').find((m) => m.id === id);
  assert.ok(found, `no mutant ${id}`);
  return found;
};

/** The task's reference solution: its subject file with the solution's edits applied. */
async function reference(yaml: string): Promise<{ source: string; file: string }> {
  const spec = await loadTask(path.join(ROOT, 'tasks', yaml));
  const files = new Map(spec.files.map((f) => [f.path, f.content]));
  const source = applyEdits(files, spec.solution.edits).get(spec.grader.subject.file);
  assert.ok(source !== undefined, `${yaml}: no subject file ${spec.grader.subject.file}`);
  return { source, file: spec.grader.subject.file };
}

describe('mutantsOf: the operators', () => {
  it('arithmetic swaps + -, * /, % → *, ** → *, += -=, *= /=', () => {
    const src = 'export const f = (a: number, b: number): number => a * b + a % b - a / b;\nx += 1;\ny *= 2;\nz -= a ** b;\n';
    assert.deepEqual(ids(src, 'arithmetic'), [
      'L1:54 arithmetic: * → /',
      'L1:58 arithmetic: + → -',
      'L1:62 arithmetic: % → *',
      'L1:66 arithmetic: - → +',
      'L1:70 arithmetic: / → *',
      'L2:3 arithmetic: += → -=',
      'L3:3 arithmetic: *= → /=',
      'L4:3 arithmetic: -= → +=',
      'L4:8 arithmetic: ** → *',
    ]);
    assert.equal(only(src, 'L1:62 arithmetic: % → *').source.split('\n')[0], 'export const f = (a: number, b: number): number => a * b + a * b - a / b;');
  });

  it('keeps an exponentiation under * and / together when it becomes a product', () => {
    const m = only('x = a / b ** c;\n', 'L1:9 arithmetic: b ** c → (b * c)');
    assert.equal(m.source, 'x = a / (b * c);\n');
  });

  it('leaves string concatenation alone', () => {
    assert.deepEqual(ids('const s = "a" + b;\nconst t = b + `x`;\n', 'arithmetic'), []);
  });

  it('comparison makes the boundary, the negation and the reversed operator; equality its negation', () => {
    assert.deepEqual(ids('if (a < b) f();\nif (a === b) f();\nif (a != b) f();\n', 'comparison'), [
      'L1:7 comparison: < → <=',
      'L1:7 comparison: < → >=',
      'L1:7 comparison: < → >',
      'L2:7 comparison: === → !==',
      'L3:7 comparison: != → ==',
    ]);
    assert.deepEqual(ids('ok = a >= b;\n', 'comparison'), ['L1:8 comparison: >= → >', 'L1:8 comparison: >= → <', 'L1:8 comparison: >= → <=']);
  });

  it('logical swaps && and ||, and turns ?? into ||', () => {
    assert.deepEqual(ids('const c = a && b || (d ?? e);\n', 'logical'), ['L1:13 logical: && → ||', 'L1:18 logical: || → &&', 'L1:24 logical: ?? → ||']);
  });

  it('drops a mutant that does not load: ?? and || do not mix without parentheses', () => {
    assert.deepEqual(ids('w = a ?? b ?? c;\n', 'logical'), []);
  });

  it('unary removes a minus and a not, and swaps ++ and --', () => {
    const src = 'const m = -x + (!y ? 1 : 2);\ni++;\n--j;\n';
    assert.deepEqual(ids(src, 'unary'), ['L1:11 unary: -x → x', 'L1:17 unary: !y → y', 'L2:2 unary: ++ → --', 'L3:1 unary: -- → ++']);
    assert.equal(only(src, 'L2:2 unary: ++ → --').source, 'const m = -x + (!y ? 1 : 2);\ni--;\n--j;\n');
  });

  it('constant makes n+1, n-1, 2n, n/2 and 0, without duplicates or no-ops, in the literal\'s form', () => {
    assert.deepEqual(ids('p = 0.5;\n', 'constant'), [
      'L1:5 constant: 0.5 → 1.5',
      'L1:5 constant: 0.5 → -0.5',
      'L1:5 constant: 0.5 → 1',
      'L1:5 constant: 0.5 → 0.25',
      'L1:5 constant: 0.5 → 0',
    ]);
    assert.deepEqual(ids('z = 0;\n', 'constant'), ['L1:5 constant: 0 → 1', 'L1:5 constant: 0 → -1']);
    assert.deepEqual(ids('k = 2;\n', 'constant'), ['L1:5 constant: 2 → 3', 'L1:5 constant: 2 → 1', 'L1:5 constant: 2 → 4', 'L1:5 constant: 2 → 0']);
    assert.deepEqual(ids('q = 0.9;\n', 'constant'), ['L1:5 constant: 0.9 → 1.9', 'L1:5 constant: 0.9 → -0.1', 'L1:5 constant: 0.9 → 1.8', 'L1:5 constant: 0.9 → 0.45', 'L1:5 constant: 0.9 → 0']);
    assert.deepEqual(ids('e = 1e-8;\n', 'constant'), ['L1:5 constant: 1e-8 → 1.00000001', 'L1:5 constant: 1e-8 → -0.99999999', 'L1:5 constant: 1e-8 → 2e-8', 'L1:5 constant: 1e-8 → 5e-9', 'L1:5 constant: 1e-8 → 0']);
    assert.deepEqual(ids('h = 0xff;\n', 'constant'), ['L1:5 constant: 0xff → 0x100', 'L1:5 constant: 0xff → 0xfe', 'L1:5 constant: 0xff → 0x1fe', 'L1:5 constant: 0xff → 127.5', 'L1:5 constant: 0xff → 0']);
  });

  it('constant treats a negated literal as one negative number and keeps a negative result from fusing', () => {
    assert.deepEqual(ids('n = -2;\n', 'constant'), ['L1:5 constant: -2 → -1', 'L1:5 constant: -2 → -3', 'L1:5 constant: -2 → -4', 'L1:5 constant: -2 → 0']);
    assert.equal(only('y = a-0.5;\n', 'L1:7 constant: 0.5 → -0.5').source, 'y = a- -0.5;\n');
    assert.equal(only('y = 0.5 ** a;\n', 'L1:5 constant: 0.5 → (-0.5)').source, 'y = (-0.5) ** a;\n');
  });

  it('function-swap swaps Math functions and replaces Math.sqrt(x) and Math.abs(x) by x', () => {
    const src = 'const v = Math.sqrt(a + b) * Math.abs(x) + Math.max(a, b) + Math.floor(Math.exp(a) + Math.log(b));\n';
    assert.deepEqual(ids(src, 'function-swap'), [
      'L1:11 function-swap: Math.sqrt → Math.cbrt',
      'L1:11 function-swap: Math.sqrt(a + b) → (a + b)',
      'L1:30 function-swap: Math.abs(x) → x',
      'L1:44 function-swap: Math.max → Math.min',
      'L1:61 function-swap: Math.floor → Math.round',
      'L1:61 function-swap: Math.floor → Math.ceil',
      'L1:72 function-swap: Math.exp → Math.expm1',
      'L1:86 function-swap: Math.log → Math.log1p',
    ]);
    assert.equal(only(src, 'L1:11 function-swap: Math.sqrt(a + b) → (a + b)').source.slice(0, 30), 'const v = (a + b) * Math.abs(x');
  });

  it('statement-removal removes expression statements, throws, guards and returns, not declarations or a return in a loop', () => {
    const src = [
      'function f(xs: number[]): number {',
      '  if (xs.length === 0) throw new Error("empty");',
      '  let t = 0;',
      '  for (const x of xs) { if (x < 0) return -1; t += x; }',
      '  log(t);',
      '  return t;',
      '}',
      '',
    ].join('\n');
    assert.deepEqual(ids(src, 'statement-removal'), [
      'L2:3 statement-removal: if (xs.length === 0) throw new Error("empty"); → ;',
      'L4:25 statement-removal: if (x < 0) return -1; → ;',
      'L4:47 statement-removal: t += x; → ;',
      'L5:3 statement-removal: log(t); → ;',
      'L6:3 statement-removal: return t; → ;',
    ]);
    // The guard's body alone is not removed: that is the same program as removing the guard.
    assert.ok(!ids(src).some((id) => id.includes('throw new Error("empty"); → ;') && !id.startsWith('L2:3')), 'the guard\'s throw alone was removed');
    assert.ok(mutantsOf(src, 'subject.ts').some((m) => m.source.includes('for (const x of xs) { ; t += x; }')), 'the guard in the loop was not removed');
  });

  it('statement-removal leaves an empty statement where a loop body was', () => {
    assert.equal(only('for (const x of xs) total += x;\n', 'L1:21 statement-removal: total += x; → ;').source, 'for (const x of xs) ;\n');
  });

  it('argument-swap swaps the first two arguments, unless they are the same or the call is commutative', () => {
    assert.deepEqual(ids('f(a, b, c);\nnew G(x, 1);\nf(a, a);\nMath.max(a, b);\nf(...a, b);\n', 'argument-swap'), ['L1:3 argument-swap: a, b → b, a', 'L2:7 argument-swap: x, 1 → 1, x']);
    assert.equal(only('f(a, b, c);\n', 'L1:3 argument-swap: a, b → b, a').source, 'f(b, a, c);\n');
  });

  it('condition-flip negates if and ternary conditions, not loop conditions nor a condition already negated', () => {
    const src = 'if (a < b) f();\nx = c ? d : e;\nwhile (a > b) a--;\ndo a++; while (a < b);\nif (!ok) g();\n';
    assert.deepEqual(ids(src, 'condition-flip'), ['L1:5 condition-flip: a < b → !(a < b)', 'L2:5 condition-flip: c → !(c)']);
    assert.equal(only(src, 'L2:5 condition-flip: c → !(c)').source.split('\n')[1], 'x = !(c) ? d : e;');
  });

  it('loop-bound moves a for loop\'s bound by one both ways, and nothing else in the header is mutated', () => {
    const src = 'for (let i = 0; i < n; i++) s = s + i;\n';
    assert.deepEqual(ids(src), ['L1:19 loop-bound: < → <=', 'L1:21 loop-bound: n → n - 1', 'L1:29 statement-removal: s = s + i; → ;', 'L1:35 arithmetic: + → -']);
    assert.equal(only(src, 'L1:21 loop-bound: n → n - 1').source, 'for (let i = 0; i < n - 1; i++) s = s + i;\n');
    assert.deepEqual(ids('for (let i = 0; i <= a.length; i++) f(i);\n', 'loop-bound'), ['L1:19 loop-bound: <= → <', 'L1:22 loop-bound: a.length → a.length + 1']);
    // A count-down loop with the counter on the right: `0 < i` runs once less as `0 + 1 < i`.
    assert.deepEqual(ids('for (let i = n; 0 < i; i--) f(i);\n', 'loop-bound'), ['L1:17 loop-bound: 0 → 0 + 1', 'L1:19 loop-bound: < → <=']);
  });

  it('no mutants in types, imports, exports, strings, templates, decorators or ambient declarations', () => {
    const src = [
      'import { a } from "./a.ts";',
      'export { a };',
      'export type { B } from "./b.ts";',
      'type T = Array<1 | 2>;',
      'interface I { x: 3; y(a: 4): 5 }',
      'declare const k: 6;',
      'let v: 7 = a as 8;',
      'const s = "x + 9" + `y ${z}`;',
      '@dec(10, 11) class C { @dec(12, 13) m(p: 14): void {} }',
      '',
    ].join('\n');
    assert.deepEqual(ids(src), []);
  });
});

describe('mutantsOf: every mutant', () => {
  it('puts a space where the replacement would fuse with its neighbour', () => {
    assert.equal(only('x = a+-b;\n', 'L1:6 arithmetic: + → -').source, 'x = a- -b;\n');
    assert.equal(only('function f() { return-x }\n', 'L1:22 unary: -x → x').source, 'function f() { return x }\n');
  });

  it('shows long texts collapsed and cut to 60 characters', () => {
    const src = 'if (someRatherLongName.length !== otherRatherLongName.length ||\n    third.length !== fourth.length) f();\n';
    const flip = mutantsOf(src, 'subject.ts').find((m) => m.operator === 'condition-flip');
    assert.ok(flip, 'no condition-flip');
    assert.equal(flip.original, 'someRatherLongName.length !== otherRatherLongName.length ||…');
    assert.equal([...flip.original].length, 60);
    assert.match(flip.id, /^L1:5 condition-flip: someRatherLongName\.length .* → !\(someRatherLongName.*…$/);
  });

  it('has a unique id and a unique source, in source order', () => {
    const src = 'y = !!x;\nz = -(-a) + 1 * 1;\n';
    const ms = mutantsOf(src, 'subject.ts');
    assert.equal(new Set(ms.map((m) => m.id)).size, ms.length);
    assert.equal(new Set(ms.map((m) => m.source)).size, ms.length);
    assert.ok(!ms.some((m) => m.source === src), 'a mutant is the original');
    // `!!x` loses either `!` to the same program: one mutant.
    assert.deepEqual(ids('y = !!x;\n', 'unary'), ['L1:5 unary: !!x → !x']);
  });

  it('is nothing for a source that does not parse', () => {
    assert.deepEqual(mutantsOf('const x = (1 + ;\n', 'subject.ts'), []);
  });
});

// The mutation operators rewrite TypeScript: tasks of other runtimes have no mutants yet.
const TASKS = readdirSync(path.join(ROOT, 'tasks'))
  .filter((f) => f.endsWith('.yaml') && !/^runtime: (?!typescript)/m.test(readFileSync(path.join(ROOT, 'tasks', f), 'utf8')))
  .sort();

describe('mutantsOf: the reference solutions of the tasks', () => {
  for (const yaml of TASKS) {
    it(`${yaml}: every mutant parses and transpiles, ids unique, edits where the ids say`, async (t) => {
      const { source, file } = await reference(yaml);
      const mutants = mutantsOf(source, file);
      const counts = MUTATION_OPERATORS.map((op) => [op, mutants.filter((m) => m.operator === op).length] as const).filter(([, n]) => n > 0);
      t.diagnostic(`${yaml}: ${mutants.length} mutants (${counts.map(([op, n]) => `${op} ${n}`).join(', ')})`);
      assert.ok(mutants.length >= 5, `${yaml}: only ${mutants.length} mutants`);
      assert.ok(counts.length >= 4, `${yaml}: only the operators ${counts.map(([op]) => op).join(', ')}`);
      assert.equal(new Set(mutants.map((m) => m.id)).size, mutants.length);
      assert.equal(new Set(mutants.map((m) => m.source)).size, mutants.length);
      const lines = source.split('\n');
      let previous = [0, 0];
      for (const m of mutants) {
        assert.ok(MUTATION_OPERATORS.some((op) => op === m.operator), m.id);
        assert.match(m.id, /^L\d+:\d+ [a-z-]+: .+ → .+$/);
        assert.notEqual(m.source, source, m.id);
        const sf = ts.createSourceFile(file, m.source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
        assert.deepEqual((sf as unknown as { parseDiagnostics: readonly unknown[] }).parseDiagnostics, [], m.id);
        const out = ts.transpileModule(m.source, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
        assert.deepEqual(out.diagnostics ?? [], [], m.id);
        assert.ok(transpileModule(m.source, file).ok, m.id);
        // The original text is at the mutant's line and column (ids are shown collapsed and cut).
        const there = lines.slice(m.line - 1).join('\n').slice(m.column - 1).replace(/\s+/g, ' ');
        assert.ok(there.startsWith(m.original.replace(/…$/, '')), `${m.id}: the source there is ${there.slice(0, 60)}`);
        assert.ok(m.line > previous[0]! || (m.line === previous[0] && m.column >= previous[1]!), `${m.id} is out of order`);
        previous = [m.line, m.column];
      }
    });
  }
});

describe('sampleMutants', () => {
  it('is deterministic for a seed, differs across seeds, spreads over operators and the file, keeps source order', async () => {
    const { source, file } = await reference('adam-bias-correction.yaml');
    const all = mutantsOf(source, file);
    const a = sampleMutants(all, 20, 1);
    assert.equal(a.length, 20);
    assert.deepEqual(sampleMutants(all, 20, 1), a);
    assert.notDeepEqual(sampleMutants(all, 20, 2), a);
    const positions = a.map((m) => all.indexOf(m));
    assert.deepEqual(positions, [...positions].sort((x, y) => x - y));
    const operators = new Set(a.map((m) => m.operator));
    assert.equal(operators.size, new Set(all.map((m) => m.operator)).size, 'every operator gets a place when n allows');
    // Not the first 20: the sample reaches the end of the file.
    assert.ok(Math.max(...positions) >= all.length - 10, `the last pick is mutant ${Math.max(...positions)} of ${all.length}`);
    assert.ok(Math.min(...positions) < all.length / 4, `the first pick is mutant ${Math.min(...positions)}`);
  });

  it('shares the places between operators equally', async () => {
    const { source, file } = await reference('layer-norm.yaml');
    const all = mutantsOf(source, file);
    const n = 15;
    const sample = sampleMutants(all, n, 7);
    const available = new Map<string, number>();
    for (const m of all) available.set(m.operator, (available.get(m.operator) ?? 0) + 1);
    const got = new Map<string, number>();
    for (const m of sample) got.set(m.operator, (got.get(m.operator) ?? 0) + 1);
    const shares = [...available].map(([op, count]) => [got.get(op) ?? 0, count] as const);
    const capped = shares.filter(([g, count]) => g < count).map(([g]) => g);
    // Operators not exhausted get equal shares, within one.
    assert.ok(Math.max(...capped) - Math.min(...capped) <= 1, JSON.stringify([...got]));
  });

  it('returns all when n is at least the list length, none when n is 0', () => {
    const all = mutantsOf('x = a * b + 1;\n', 'subject.ts');
    assert.deepEqual(sampleMutants(all, all.length, 3), all);
    assert.deepEqual(sampleMutants(all, 1000, 3), all);
    assert.deepEqual(sampleMutants(all, 0, 3), []);
    assert.deepEqual(sampleMutants([], 5, 3), []);
  });
});
