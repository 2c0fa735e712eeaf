/**
 * Sources built to break the static half of a grade: deep nesting of every syntax form, long chains, a file at
 * the task's size limit. Each is a correct dropout fix plus padding, graded end to end: `failed` with a message
 * naming the limit it exceeds, or `passed` when the padding is harmless; never `error`.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { gradeWorkspace } from '../../../src/grading/gradeWorkspace.ts';
import { NESTING_LIMITS } from '../../../src/runtime/typescript/parseFiles.ts';
import { runStaticChecks } from '../../../src/runtime/typescript/staticChecks.ts';
import { BUG_LINE, cleanupTmp, dropoutTask, dropoutWorkspace, withScale } from '../../_helpers.ts';

after(cleanupTmp);

const spec = await dropoutTask();
const fix = withScale('1 / Math.sqrt(keepProb)');
const padded = (pad: string) => (s: string) => `${fix(s)}\n${pad}\n`;
const rep = (s: string, n: number) => s.repeat(n);

/** Each form nested `n` deep, as a statement beside the fix. */
const deep: Record<string, (n: number) => string> = {
  'array literals': (n) => `export const unused = ${rep('[', n)}${rep(']', n)};`,
  'object literals': (n) => `const unused = ${rep('{ a: ', n)}1${rep(' }', n)};`,
  parentheses: (n) => `const unused = ${rep('(', n)}1${rep(')', n)};`,
  calls: (n) => `const f = (v: unknown) => v;\nconst unused = ${rep('f(', n)}1${rep(')', n)};`,
  'element access': (n) => `const o: any = {};\nconst unused = ${rep('o[', n)}0${rep(']', n)};`,
  blocks: (n) => `${rep('{', n)}${rep('}', n)}`,
  'if statements with blocks': (n) => `${rep('if (Math.PI > 3) {', n)}${rep('}', n)}`,
  'if statements without braces': (n) => `${rep('if (Math.PI > 3) ', n)}void 0;`,
  'nested functions': (n) => `${rep('function g() {', n)}${rep('}', n)}`,
  'arrow functions': (n) => `const unused = ${rep('() => ', n)}1;`,
  'arrow functions with bodies': (n) => `const unused = ${rep('() => {', n)}${rep('}', n)};`,
  'class expressions': (n) => `const unused = ${rep('class { m() { return ', n)}1${rep('; } }', n)};`,
  'template literals': (n) => `const unused = ${rep('`${', n)}1${rep('}`', n)};`,
  'conditionals (nested in the middle)': (n) => `const unused = ${rep('Math.PI ? ', n)}1${rep(' : 0', n)};`,
  'conditionals (chained)': (n) => `const unused = ${rep('Math.PI ? 1 : ', n)}0;`,
  'unary minus': (n) => `const unused = ${rep('- ', n)}1;`,
  'logical not': (n) => `const unused = ${rep('!', n)}1;`,
  'typeof chains': (n) => `const unused = ${rep('typeof ', n)}1;`,
  'type arguments': (n) => `let unused: ${rep('Array<', n)}number${rep('>', n)} | undefined;`,
  'parenthesized types': (n) => `let unused: ${rep('(', n)}number${rep(')', n)} | undefined;`,
  'type literals': (n) => `let unused: ${rep('{ a: ', n)}number${rep(' }', n)} | undefined;`,
  'labels': (n) => `${rep('l: ', 1)}${rep('{ ', n)}${rep('} ', n)}`,
  'exponent chains (right-nested)': (n) => `const unused = ${rep('1 ** ', n)}1;`,
  'assignment chains': (n) => `let a = 0;\n${rep('a = ', n)}1;`,
};

describe('deeply nested sources fail with a message naming the limit, never error', { concurrency: 4 }, () => {
  for (const [form, make] of Object.entries(deep)) {
    for (const n of [1_000, 20_000]) {
      it(`${form}, ${n} deep`, async () => {
        const r = await gradeWorkspace(spec, await dropoutWorkspace(padded(make(n))), { failFast: true });
        assert.notEqual(r.status, 'error', r.feedback);
        if (r.status === 'failed') {
          const failed = r.checks.find((c) => !c.passed && c.skipped !== true)!;
          assert.match(failed.message, /nesting deeper than 256 levels of brackets|nesting too deep for the grader's parser|blocks nested deeper than 64 levels|does not compile|dropout\.ts:\d+:\d+|did not load|loading dropout\.ts failed|larger than the task's limit/, `${failed.id}: ${failed.message}`);
        }
      });
    }
  }
});

describe('the limits themselves', () => {
  it(`${NESTING_LIMITS.brackets} levels of brackets pass, one more fails naming the limit`, async () => {
    const at = (n: number) => padded(`const unused = ${rep('(', n)}1${rep(')', n)};`);
    const ok = await gradeWorkspace(spec, await dropoutWorkspace(at(NESTING_LIMITS.brackets - 2)), { failFast: true });
    assert.equal(ok.status, 'passed', ok.feedback);
    const over = await gradeWorkspace(spec, await dropoutWorkspace(at(NESTING_LIMITS.brackets + 1)), { failFast: true });
    assert.equal(over.status, 'failed');
    assert.match(over.feedback, /^compile: dropout\.ts:\d+: nesting deeper than 256 levels of brackets/);
    assert.ok(over.checks.filter((c) => c.id !== 'compile' && c.id !== 'files' && !c.id.startsWith('file')).every((c) => c.skipped === true || c.passed));
  });

  it(`${NESTING_LIMITS.blocks} levels of blocks pass, one more fails naming the limit and its line`, async () => {
    const at = (n: number) => padded(`${rep('{\n', n)}${rep('}\n', n)}`);
    const ok = await gradeWorkspace(spec, await dropoutWorkspace(at(NESTING_LIMITS.blocks - 4)), { failFast: true });
    assert.equal(ok.status, 'passed', ok.feedback);
    const over = await gradeWorkspace(spec, await dropoutWorkspace(at(NESTING_LIMITS.blocks + 1)), { failFast: true });
    assert.match(over.feedback, /^compile: dropout\.ts:\d+: blocks nested deeper than 64 levels/);
  });

  it('runStaticChecks on its own refuses a too-deep file in every check (it never walks it)', async () => {
    const original = spec.files.find((f) => f.path === 'dropout.ts')!.content;
    const submitted = padded(`const unused = ${rep('(', 5000)}1${rep(')', 5000)};`)(original);
    const results = await runStaticChecks({ files: new Map([['dropout.ts', { submitted, original }]]), subject: spec.grader.subject, checks: spec.grader.ast });
    assert.deepEqual(
      results.map((r) => r.id),
      ['policy', ...spec.grader.ast.map((a) => a.check)],
    );
    for (const r of results) {
      assert.equal(r.passed, false);
      assert.match(r.message, /nesting deeper than 256 levels of brackets/);
    }
  });
});

describe('long chains that nest no brackets are harmless padding: the fix passes', () => {
  const chains: Record<string, string> = {
    'a 3,000-term 1+1+…+1': `const unused = ${Array(3000).fill('1').join(' + ')};\nvoid unused;`,
    'a 3,000-long member chain': `const o: any = {};\nconst unused = () => o${rep('.a', 3000)};\nvoid unused;`,
    'a 2,000-long else-if chain': `export function pick(v: number): number {\n  if (v === 0) return 0;\n${Array.from({ length: 2000 }, (_, i) => `  else if (v === ${i + 1}) return ${i + 1};`).join('\n')}\n  return -1;\n}`,
  };
  for (const [name, pad] of Object.entries(chains)) {
    it(name, async () => {
      const r = await gradeWorkspace(spec, await dropoutWorkspace(padded(pad)), { failFast: true });
      // An added export is new public API; anything else must pass.
      if (name.includes('else-if')) assert.match(r.feedback, /^same-public-api: .*pick is new public API/);
      else assert.equal(r.status, 'passed', r.feedback);
    });
  }
});

describe(`a file at the task's size limit (${spec.limits.fileBytes} bytes)`, () => {
  const fill = (source: string, line: (i: number) => string): string => {
    const lines: string[] = [];
    let size = Buffer.byteLength(source) + 1;
    for (let i = 0; ; i++) {
      const l = `${line(i)}\n`;
      if (size + Buffer.byteLength(l) > spec.limits.fileBytes) break;
      lines.push(l);
      size += Buffer.byteLength(l);
    }
    return `${source}\n${lines.join('')}`.padEnd(spec.limits.fileBytes, ' ');
  };

  it('a correct fix padded with statements nested just under the block limit passes', async () => {
    const depth = NESTING_LIMITS.blocks - 4;
    const r = await gradeWorkspace(
      spec,
      await dropoutWorkspace((s) => {
        const body = fill(`${fix(s)}\n${rep('{\n', depth)}`, (i) => `void ${i % 10};`);
        return `${body.slice(0, spec.limits.fileBytes - depth * 2)}${rep('}\n', depth)}`;
      }),
      { failFast: true },
    );
    assert.equal(r.status, 'passed', r.feedback);
  });

  it('the bug padded the same way still fails, on its behaviour', async () => {
    const r = await gradeWorkspace(spec, await dropoutWorkspace((s) => fill(s.replace(BUG_LINE, BUG_LINE), (i) => `void ${i % 10};`)), { failFast: true });
    assert.equal(r.status, 'failed');
  });

  it('a file of nothing but open brackets fails on the limit, not on the parser', async () => {
    const r = await gradeWorkspace(spec, await dropoutWorkspace((s) => fill(fix(s), () => rep('(', 63))), { failFast: true });
    assert.match(r.feedback, /^compile: dropout\.ts:\d+: nesting deeper than 256 levels of brackets/);
  });
});

describe('a file of forbidden names', () => {
  it('is refused after the first problems, without walking up the ancestors of every one of 20,000 (each walk is as long as the chain)', async () => {
    const r = await gradeWorkspace(spec, await dropoutWorkspace(padded(`const unused = () => ${Array(20_000).fill('process').join(' + ')};`)), { failFast: true });
    assert.equal(r.status, 'failed');
    assert.match(r.feedback, /^policy: the permissions policy refuses: dropout\.ts line \d+: `process`: .* \(\+15 or more\)$/);
  });
});
