import assert from 'node:assert/strict';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { gradeWorkspace } from '../../src/grading/gradeWorkspace.ts';
import { BUG_LINE, cleanupTmp, dropoutTask, dropoutWorkspace, tmp, withScale } from '../_helpers.ts';

after(cleanupTmp);

async function grade(edit: (s: string) => string) {
  return gradeWorkspace(await dropoutTask(), await dropoutWorkspace(edit));
}

const correct: Record<string, (s: string) => string> = {
  '1 / Math.sqrt(keepProb)': withScale('1 / Math.sqrt(keepProb)'),
  'Math.pow(keepProb, -0.5)': withScale('Math.pow(keepProb, -0.5)'),
  'keepProb ** -0.5': withScale('keepProb ** -0.5'),
  'Math.sqrt(1 / keepProb)': withScale('Math.sqrt(1 / keepProb)'),
  'Math.random directly (ignores the injected rng)': (s) => withScale('1.0 / Math.sqrt(keepProb)')(s).replace('this.rng() < keepProb', 'Math.random() < keepProb'),
  'rng() >= p instead of rng() < 1 - p': (s) => withScale('1.0 / Math.sqrt(keepProb)')(s).replace('this.rng() < keepProb', 'this.rng() >= this.dropoutRate'),
  'scale precomputed in the constructor': (s) =>
    s
      .replace(BUG_LINE, 'const scale = this.scale;')
      .replace('  private readonly rng: () => number;', '  private readonly rng: () => number;\n  private readonly scale: number;')
      .replace('this.training = true;\n  }\n\n  train', 'this.training = true;\n    this.scale = 1 / Math.sqrt(1 - dropoutRate);\n  }\n\n  train'),
};

const nearMisses: Record<string, [(s: string) => string, RegExp]> = {
  'a scale 2 % too large': [withScale('1.02 / Math.sqrt(keepProb)'), /^exact-kept-scale: kept outputs are scaled by/],
  'a scale 1e-6 too large': [withScale('(1 + 1e-6) / Math.sqrt(keepProb)'), /^exact-kept-scale:/],
  'right only for p < 0.5': [withScale('this.dropoutRate < 0.5 ? 1 / Math.sqrt(keepProb) : 1 / keepProb'), /^exact-kept-scale:/],
  'right only for p > 0.1 (where ±10 % variance tests cannot tell)': [withScale('this.dropoutRate > 0.1 ? 1 / Math.sqrt(keepProb) : 1 / keepProb'), /^exact-kept-scale:/],
  'the seed rates as a lookup table': [
    withScale('({ 0.3: 1 / Math.sqrt(0.7), 0.5: Math.SQRT2, 0.7: 1 / Math.sqrt(0.3) } as Record<number, number>)[this.dropoutRate] ?? Math.sqrt(keepProb) / keepProb / Math.sqrt(keepProb)'),
    /^exact-kept-scale:/,
  ],
  'output renormalized to the input second moment': [
    (s) =>
      withScale('1 / Math.sqrt(keepProb)')(s).replace(
        '    return out;',
        '    let sx = 0, sy = 0;\n    for (let i = 0; i < x.length; i++) { sx += x[i] * x[i]; sy += out[i] * out[i]; }\n    const k = sy > 0 ? Math.sqrt(sx / sy) : 1;\n    for (let i = 0; i < out.length; i++) out[i] *= k;\n    return out;',
      ),
    /^exact-kept-scale:/,
  ],
  'behaviour that changes after 3 calls': [
    (s) => withScale('1 / Math.sqrt(keepProb) * ((this as any).calls = ((this as any).calls ?? 0) + 1) > 3 ? 1 / keepProb : 1 / Math.sqrt(keepProb)')(s),
    /^exact-kept-scale:|^[a-z-]+:/,
  ],
  'modifies its input in place': [(s) => withScale('1 / Math.sqrt(keepProb)')(s).replace('    return out;', '    x.set(out);\n    return out;'), /^shape-and-purity: forward\(\) modified its input/],
  'mask depends on the input (drops the largest values)': [
    (s) => withScale('1 / Math.sqrt(keepProb)')(s).replace('this.rng() < keepProb', '(this.rng(), Math.abs(x[i]) < 1e3)'),
    /^[a-z-]+:/,
  ],
  'dropped units set to NaN': [(s) => withScale('1 / Math.sqrt(keepProb)')(s).replace('x[i] * scale : 0', 'x[i] * scale : NaN'), /^[a-z-]+:/],
};

describe('gradeWorkspace: correct fixes pass', () => {
  for (const [name, edit] of Object.entries(correct)) {
    it(name, async () => {
      const r = await grade(edit);
      assert.equal(r.status, 'passed', `${r.feedback}\n${r.output}`);
      assert.equal(r.reward, 1);
      assert.ok(r.checks.every((c) => c.passed));
    });
  }
});

describe('gradeWorkspace: near misses fail with a named check', () => {
  for (const [name, [edit, feedback]] of Object.entries(nearMisses)) {
    it(name, async () => {
      const r = await grade(edit);
      assert.equal(r.status, 'failed', r.feedback);
      assert.equal(r.reward, 0);
      assert.match(r.feedback, feedback);
    });
  }
});

describe('gradeWorkspace: the workspace is read as the spec says', () => {
  it('ignores extra files such as package.json, tsconfig.json and node_modules/', async () => {
    const ws = await dropoutWorkspace(withScale('1 / Math.sqrt(keepProb)'));
    await writeFile(path.join(ws, 'package.json'), '{"type":"commonjs","scripts":{"test":"exit 0"}}');
    await writeFile(path.join(ws, 'tsconfig.json'), '{"compilerOptions":{"strict":false}}');
    await mkdir(path.join(ws, 'node_modules', 'fast-check'), { recursive: true });
    await writeFile(path.join(ws, 'node_modules', 'fast-check', 'index.js'), 'module.exports = {}');
    const r = await gradeWorkspace(await dropoutTask(), ws);
    assert.equal(r.status, 'passed', r.feedback);
  });

  it('fails an edited test file, naming the first changed line', async () => {
    const ws = await dropoutWorkspace(withScale('1 / Math.sqrt(keepProb)'));
    await writeFile(path.join(ws, 'dropout.test.ts'), '// tests removed\n');
    const r = await gradeWorkspace(await dropoutTask(), ws);
    assert.equal(r.status, 'failed');
    assert.match(r.feedback, /^protected:dropout\.test\.ts: dropout\.test\.ts was modified \(first difference at line 1\)/);
  });

  it('fails a deleted test file', async () => {
    const ws = await dropoutWorkspace(withScale('1 / Math.sqrt(keepProb)'));
    await rm(path.join(ws, 'dropout.test.ts'));
    const r = await gradeWorkspace(await dropoutTask(), ws);
    assert.equal(r.status, 'failed');
    assert.match(r.feedback, /dropout\.test\.ts is missing/);
  });

  it('refuses a symlinked implementation', async () => {
    const ws = await dropoutWorkspace();
    const elsewhere = await dropoutWorkspace(withScale('1 / Math.sqrt(keepProb)'));
    await rm(path.join(ws, 'dropout.ts'));
    await symlink(path.join(elsewhere, 'dropout.ts'), path.join(ws, 'dropout.ts'));
    const r = await gradeWorkspace(await dropoutTask(), ws);
    assert.equal(r.status, 'failed');
    assert.match(r.feedback, /^editable:dropout\.ts: dropout\.ts is a symlink/);
  });

  it('refuses non-UTF-8 bytes and oversized files', async () => {
    const ws = await dropoutWorkspace();
    await writeFile(path.join(ws, 'dropout.ts'), Buffer.from([0x65, 0x78, 0xff, 0xfe]));
    let r = await gradeWorkspace(await dropoutTask(), ws);
    assert.match(r.feedback, /not valid UTF-8/);
    await writeFile(path.join(ws, 'dropout.ts'), 'x'.repeat(300_000));
    r = await gradeWorkspace(await dropoutTask(), ws);
    assert.match(r.feedback, /larger than the task's limit of 262144 bytes/);
  });

  it('reports a syntax error with file, line and column', async () => {
    const r = await grade((s) => s.replace('return out;', 'return out +;'));
    assert.equal(r.status, 'failed');
    assert.match(r.feedback, /^compile: dropout\.ts:\d+:\d+: /);
  });

  it('a missing workspace is an error (bad input), not a failed submission', async () => {
    const r = await gradeWorkspace(await dropoutTask(), path.join(await tmp(), 'missing'));
    assert.equal(r.status, 'error');
    assert.equal(r.error?.code, 'E_WORKSPACE');
  });
});

describe('gradeWorkspace: the visible tests are a check of every grade', () => {
  const visible = (r: { checks: readonly { id: string; passed: boolean; message: string }[] }) => r.checks.find((c) => c.id === 'visible-tests');

  it('a correct fix passes them, and what they printed is in the output', async () => {
    const r = await grade(withScale('1 / Math.sqrt(keepProb)'));
    assert.equal(visible(r)?.passed, true);
    assert.equal(r.checks.at(-1)?.id, 'visible-tests');
    assert.match(r.output, /# all tests passed/);
  });

  it('the planted bug fails them, with the failed tests in the output', async () => {
    const r = await grade((s) => s);
    assert.equal(visible(r)?.passed, false);
    assert.match(visible(r)!.message, /^dropout\.test\.ts failed: Error: 3 test\(s\) failed/);
    assert.match(r.output, /not ok - second moment preserved at p=0\.3/);
  });

  it('a fix wrong only at the visible tests\' input size fails them', async () => {
    const r = await grade(withScale('x.length === 20_000 ? 1 / keepProb : 1 / Math.sqrt(keepProb)'));
    assert.equal(r.status, 'failed');
    assert.equal(visible(r)?.passed, false, r.feedback);
  });

  it('a submission that hangs in them fails on the time budget; the grader is fine', async () => {
    const spec = await dropoutTask();
    const quick = { ...spec, limits: { ...spec.limits, timeMs: 4000 } };
    const r = await gradeWorkspace(quick, await dropoutWorkspace(withScale('x.length === 20_000 ? (() => { for (;;); })() : 1 / Math.sqrt(keepProb)')));
    assert.equal(r.status, 'failed', r.feedback);
    assert.equal(visible(r)?.passed, false);
    assert.match(visible(r)!.message, /did not finish within|time/);
  });
});

describe('gradeWorkspace: failFast', () => {
  it('stops at the failing static check without starting a sandbox: same verdict, later checks skipped', async () => {
    const spec = await dropoutTask();
    const ws = await dropoutWorkspace();
    const full = await gradeWorkspace(spec, ws);
    const fast = await gradeWorkspace(spec, ws, { failFast: true });
    assert.equal(full.status, 'failed');
    assert.equal(fast.status, 'failed');
    assert.equal(fast.reward, 0);
    assert.match(fast.feedback, /^uses-sqrt: /);
    const byId = new Map(fast.checks.map((c) => [c.id, c]));
    assert.equal(byId.get('uses-sqrt')?.passed, false);
    for (const id of ['load', 'exact-kept-scale', 'second-moment-ratio', 'deterministic']) {
      assert.equal(byId.get(id)?.skipped, true, id);
      assert.match(byId.get(id)!.message, /fail-fast after uses-sqrt failed/);
    }
    // Every check the full report has is still listed, in the same order.
    assert.deepEqual(fast.checks.map((c) => c.id), full.checks.map((c) => c.id));
    assert.equal(fast.output, '');
  });

  it('stops after the first failing property and skips the rest', async () => {
    const spec = await dropoutTask();
    const ws = await dropoutWorkspace(withScale('1.02 / Math.sqrt(keepProb)'));
    const r = await gradeWorkspace(spec, ws, { failFast: true });
    assert.equal(r.status, 'failed');
    assert.match(r.feedback, /^exact-kept-scale: kept outputs are scaled by/);
    const ids = r.checks.map((c) => c.id);
    const at = ids.indexOf('exact-kept-scale');
    assert.ok(at > 0);
    assert.ok(r.checks.slice(0, at).every((c) => c.passed && c.skipped !== true));
    assert.ok(r.checks.slice(at + 1).every((c) => c.skipped === true && /fail-fast after exact-kept-scale failed/.test(c.message)));
  });

  it('changes nothing for a correct fix', async () => {
    const spec = await dropoutTask();
    const ws = await dropoutWorkspace(withScale('1 / Math.sqrt(keepProb)'));
    const [full, fast] = [await gradeWorkspace(spec, ws), await gradeWorkspace(spec, ws, { failFast: true })];
    assert.equal(fast.status, 'passed');
    assert.deepEqual({ ...fast, durationMs: 0 }, { ...full, durationMs: 0 });
  });
});
