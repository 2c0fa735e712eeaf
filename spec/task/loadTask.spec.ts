import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resolveProperty } from '../../properties/registry.ts';
import { runtimeClosure } from '../../scripts/checkLayers.ts';
import { SpecError } from '../../src/errors.ts';
import { loadTask, parseTask } from '../../src/task/loadTask.ts';
import { DROPOUT_YAML } from '../_helpers.ts';

const original = await readFile(DROPOUT_YAML, 'utf8');

function problems(text: string): SpecError {
  try {
    parseTask(text, 'bad.yaml');
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected a SpecError, got ${String(e)}`);
    return e;
  }
  assert.fail('the task was accepted');
}

describe('parseTask', () => {
  it('loads the variance-dropout task with its defaults', () => {
    const spec = parseTask(original, 'tasks/variance-dropout.yaml');
    assert.equal(spec.id, 'variance-dropout');
    assert.deepEqual(
      spec.files.map((f) => [f.path, f.role]),
      [
        ['dropout.ts', 'editable'],
        ['dropout.test.ts', 'protected'],
      ],
    );
    assert.deepEqual(spec.permissions, { read: [], write: [], net: false, run: false, env: false });
    assert.ok(spec.decoys.length >= 6);
    assert.ok(spec.grader.properties.map(resolveProperty).some((p) => p.id === 'exact-kept-scale' && p.falseRejectBound === 0));
    assert.ok(spec.grader.properties.map(resolveProperty).some((p) => p.id === 'second-moment-ratio' && p.falseRejectBound > 0 && p.falseRejectBound < 1e-7));
  });

  it('keeps the issue\'s lines verbatim in dropout.ts', () => {
    const spec = parseTask(original, 'x.yaml');
    const lines = spec.files[0]!.content.split('\n').map((l) => l.trim());
    for (const want of [
      'export class VarianceStabilizedDropout {',
      'forward(x: Float64Array): Float64Array {',
      'if (!this.training) return x;',
      'const keepProb = 1.0 - this.dropoutRate;',
      'const scale = 1.0 / keepProb;',
      'out[i] = this.rng() < keepProb ? x[i] * scale : 0;',
      'return out;',
    ]) {
      assert.ok(lines.includes(want), `missing: ${want}`);
    }
  });

  it('reports a YAML syntax error with its line and column', () => {
    const text = original.replace('title: Variance-stabilized dropout', 'title: [unclosed');
    const e = problems(text);
    const line = text.split('\n').findIndex((l) => l.startsWith('title:')) + 1;
    assert.match(e.message, /^bad\.yaml:\d+:\d+: YAML syntax error/);
    assert.ok(e.problems.some((p) => p.line >= line), e.message);
  });

  it('names an unknown top-level key and where it is', () => {
    const e = problems(original.replace('version: 1\n', 'version: 1\nauthor: someone\n'));
    const line = original.split('\n').findIndex((l) => l.startsWith('version:')) + 2;
    assert.deepEqual(
      e.problems.map((p) => [p.line, p.column, p.path, p.message]),
      [[line, 1, 'author', 'unknown key "author"']],
    );
  });

  it('names an unknown nested key with its full path', () => {
    const e = problems(original.replace('    role: editable\n', '    role: editable\n    mode: 0644\n'));
    assert.equal(e.problems[0]!.path, 'files[0].mode');
    assert.match(e.message, /bad\.yaml:\d+:5: files\[0\]\.mode: unknown key "mode"/);
  });

  it('says what was expected for a wrong type', () => {
    const e = problems(original.replace('version: 1\n', 'version: one\n'));
    assert.equal(e.problems[0]!.path, 'version');
    assert.match(e.problems[0]!.message, /expected (int|number)/);
  });

  it('names a missing required key, at the mapping it is missing from', () => {
    const top = problems(original.replace(/^title: .*\n/m, ''));
    const first = original.split('\n').findIndex((l) => /^\w/.test(l)) + 1;
    assert.deepEqual(
      top.problems.map((p) => [p.line, p.column, p.path, p.message]),
      [[first, 1, '', 'missing required key `title`']],
    );
    assert.equal(top.message, `bad.yaml:${first}:1: missing required key \`title\``);
    const nested = problems(original.replace(/^ {4}export: .*\n/m, ''));
    assert.match(nested.message, /^bad\.yaml:\d+:5: grader\.subject: missing required key `export`$/);
  });

  it('says what it got for a wrong type, and what a task file is when it is not a mapping', () => {
    assert.equal(problems(original.replace('version: 1\n', 'version: one\n')).problems[0]!.message, 'expected number, got string "one"');
    assert.match(problems('').message, /^bad\.yaml:1:1: a task file is a YAML mapping of keys .*; this one is empty$/);
    assert.match(problems('- a\n').message, /; this one is a list$/);
  });

  for (const [bad, why] of [
    ['../escape.txt', /stays inside the workspace/],
    ['/etc/passwd', /not an absolute one/],
    ['a/./b.ts', /normalized/],
    ['a\\b.ts', /forward slashes/],
  ] as const) {
    it(`refuses the file path ${bad}`, () => {
      const e = problems(original.replace('  - path: dropout.test.ts', `  - path: ${JSON.stringify(bad)}`));
      assert.ok(e.problems.some((p) => p.path === 'files[1].path' && why.test(p.message)), e.message);
    });
  }

  it('refuses duplicate file paths', () => {
    const e = problems(original.replace('  - path: dropout.test.ts', '  - path: dropout.ts'));
    assert.ok(e.problems.some((p) => p.path === 'files[1].path' && /duplicate path/.test(p.message)), e.message);
  });

  it('checks that the bug line occurs in the bug file', () => {
    const e = problems(original.replace('  line: "const scale = 1.0 / keepProb;"', '  line: "const scale = 2;"'));
    assert.ok(e.problems.some((p) => p.path === 'bug.line'), e.message);
  });

  it('checks that every edit applies exactly once', () => {
    const e = problems(original.replace('        find: "const scale = 1.0 / keepProb;"\n        replace: "const scale = 1.0;"', '        find: "keepProb"\n        replace: "1.0"'));
    assert.ok(e.problems.some((p) => /decoys\[\d+\]\.edits\[0\]\.find/.test(p.path) && /more than once/.test(p.message)), e.message);
  });

  it('refuses edits to a protected file', () => {
    const e = problems(original.replace('    - file: dropout.ts\n      find: "const scale = 1.0 / keepProb;"\n      replace: "const scale = 1.0 / Math.sqrt(keepProb);"', '    - file: dropout.test.ts\n      find: "let failures = 0;"\n      replace: "let failures = -100;"'));
    assert.ok(e.problems.some((p) => p.path === 'solution.edits[0].file' && /protected/.test(p.message)), e.message);
  });

  it('lets the impossible twin edit the protected tests', () => {
    const spec = parseTask(original, 'x.yaml');
    assert.equal(spec.impossible?.edits[0]?.file, 'dropout.test.ts');
    assert.ok(spec.impossible.description.length > 0);
  });

  it('checks that every edit of the impossible twin applies, and says where', () => {
    const find = '      find: |-\n        function meanSquare(x: Float64Array): number {';
    assert.ok(original.includes(find));
    const text = original.replace(find, '      find: |-\n        function meanSquared(x: Float64Array): number {');
    // 1-based, the line above the block scalar's first line: `find: |-`.
    const line = text.split('\n').findIndex((l) => l.includes('function meanSquared'));
    assert.deepEqual(
      problems(text).problems.map((p) => [p.line, p.column, p.path, p.message]),
      [[line, 13, 'impossible.edits[0].find', '"find" text does not occur in dropout.test.ts']],
    );
  });

  const twin = (edits: readonly string[]): string =>
    original.replace(/^impossible:\n(?: {2}.*\n|\n)*/m, `impossible:\n  description: d\n  edits:\n${edits.map((e) => `    - ${e}\n`).join('')}\n`);

  it('refuses an impossible twin edit of a file the task does not have', () => {
    const e = problems(twin(['{ file: dropout.spec.ts, find: "a", replace: "b" }']));
    assert.deepEqual(
      e.problems.map((p) => [p.path, p.message]),
      [['impossible.edits[0].file', '"dropout.spec.ts" is not one of the task\'s files']],
    );
  });

  it('applies the impossible twin\'s edits in order', () => {
    const rename = '{ file: dropout.test.ts, find: "let failures = 0;", replace: "let failed = 0;" }';
    assert.equal(parseTask(twin([rename]), 'x.yaml').impossible?.edits.length, 1);
    const e = problems(twin([rename, '{ file: dropout.test.ts, find: "let failures = 0;", replace: "" }']));
    assert.deepEqual(
      e.problems.map((p) => [p.path, p.message]),
      [['impossible.edits[1].find', '"find" text does not occur in dropout.test.ts']],
    );
  });

  it('needs the solution\'s edits to apply to the impossible twin\'s files (its grade uses the same reference)', () => {
    assert.ok(parseTask(twin(['{ file: dropout.ts, find: "this.training = false;", replace: "this.training = !true;" }']), 'x.yaml').impossible);
    const e = problems(twin(['{ file: dropout.ts, find: "const scale = 1.0 / keepProb;", replace: "const scale = 1 / keepProb;" }']));
    assert.deepEqual(
      e.problems.map((p) => [p.path, p.message]),
      [['solution.edits[0].find', 'in the impossible twin\'s files: "find" text does not occur in dropout.ts']],
    );
    const broken = problems(original.replace('      replace: "const scale = 1.0 / Math.sqrt(keepProb);"\n\ndecoys:', '      replace: "const scale = 1.0 / Math.sqrt(keepProb);"\n    - { file: dropout.ts, find: "no such text", replace: "" }\n\ndecoys:'));
    assert.deepEqual(
      broken.problems.map((p) => [p.path, p.message]),
      [['solution.edits[1].find', '"find" text does not occur in dropout.ts']],
      'a solution edit that does not apply at all is reported once',
    );
  });

  it('refuses an impossible twin without visible tests, or without edits or a description', () => {
    const noTests = problems(twin(['{ file: dropout.test.ts, find: "let failures = 0;", replace: "let failed = 0;" }']).replace('tests:\n  file: dropout.test.ts\n', ''));
    assert.deepEqual(
      noTests.problems.map((p) => [p.path, p.message]),
      [['impossible', 'an impossible twin contradicts the prompt in the visible tests; declare them with `tests: { file }`']],
    );
    const empty = problems(original.replace(/^impossible:\n(?: {2}.*\n|\n)*/m, 'impossible:\n  description: ""\n  edits: []\n\n'));
    assert.deepEqual(
      empty.problems.map((p) => p.path).sort(),
      ['impossible.description', 'impossible.edits'],
    );
  });

  it('names a misspelt property and lists the known ones', () => {
    const e = problems(original.replace('- use: drop-fraction', '- use: drop-fractoin'));
    const p = e.problems.find((q) => /grader\.properties\[\d+\]\.use/.test(q.path));
    assert.ok(p, e.message);
    assert.match(p.message, /drop-fraction/);
  });

  it('names a misspelt property parameter', () => {
    const e = problems(original.replace('      tolerance: 0.1\n', '      tolerence: 0.1\n'));
    assert.ok(e.problems.some((p) => /grader\.properties\[\d+\]\.tolerence/.test(p.path) && /unknown key "tolerence"/.test(p.message)), e.message);
  });

  it('refuses permissions it cannot enforce', () => {
    const e = problems(original.replace('permissions: {}', 'permissions: { net: true }'));
    assert.ok(e.problems.some((p) => p.path === 'permissions.net'), e.message);
  });

  it('reports every problem at once', () => {
    const e = problems(original.replace('version: 1\n', 'version: 0\nauthor: x\n'));
    assert.ok(e.problems.length >= 2, e.message);
  });
});

describe('the task is plain data', () => {
  it('loading a task loads no sandbox, runtime or grading code (type-only imports aside)', () => {
    const loaded = runtimeClosure(fileURLToPath(new URL('../..', import.meta.url)), 'src/task/loadTask.ts');
    assert.ok(loaded.includes('src/task/taskSchema.ts') && loaded.includes('properties/registry.ts'), loaded.join(', '));
    const heavy = loaded.filter((f) => /^src\/(sandbox|grading|workspace|cli|calibration)\//.test(f) || (f.startsWith('src/runtime/') && f !== 'src/runtime/runtimeNames.ts' && !f.startsWith('src/runtime/staticCheck') && !f.startsWith('src/runtime/checks/')));
    assert.deepEqual(heavy, []);
  });

  it('a loaded task holds no functions: structuredClone (which refuses functions) copies it exactly', async () => {
    for (const file of ['tasks/variance-dropout.yaml', 'tasks/adam-bias-correction.yaml']) {
      const spec = await loadTask(file);
      const functions: string[] = [];
      const walk = (v: unknown, at: string): void => {
        if (typeof v === 'function') functions.push(at);
        else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
      };
      walk(spec, file);
      assert.deepEqual(functions, []);
      assert.deepEqual(structuredClone(spec), spec);
    }
  });
});
