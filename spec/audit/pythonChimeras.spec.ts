/**
 * The audit's chimeras of a Python task (src/audit/pythonChimeras.ts): Python programs that answer like the
 * reference fix except under a trigger.
 *
 * 1. Generation: unique names, the triggers of the task's domain; every chimera passes the task's static checks
 *    (compile, the policy, same-public-api, uses-sqrt), so that it is the properties that must catch it.
 * 2. A chimera answers like the fix until its trigger fires, then like the planted bug (run here directly in
 *    Python: the programs are trusted), and the real grader fails it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pythonChimeras } from '../../src/audit/pythonChimeras.ts';
import { loadTask } from '../../src/task/loadTask.ts';
import { ROOT } from '../_helpers.ts';
import { gradePrograms, staticChecks } from './_programs.ts';

const spec = await loadTask(path.join(ROOT, 'tasks/variance-dropout-py.yaml'));
const programs = await pythonChimeras(spec);
const scratch = await mkdtemp(path.join(tmpdir(), 'rltask-audit-py-chimeras-'));
after(() => rm(scratch, { recursive: true, force: true }));

const sourceOf = (name: string): string => {
  const p = programs.find((c) => c.name === name);
  assert.ok(p !== undefined, `no chimera ${name}`);
  const text = p.files.get('dropout.py');
  assert.ok(typeof text === 'string', `${name}: no dropout.py`);
  return text;
};

describe('pythonChimeras: generation', () => {
  it('names each chimera once, with the triggers of the dropout task and the wrong result types', () => {
    const names = programs.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const n of ['after-50-__call__-calls', 'from-instance-7', 'after-second-eval', 'default-constructed', 'size-above-64', 'size-1', 'exact-zero', 'subnormal', 'huge', 'band-dropout_rate', 'float32-result', 'list-result', 'in-place-flip-above-64']) {
      assert.ok(names.includes(n), `no chimera ${n}`);
    }
    // The properties make no NaN or infinity (the task's inputs are finite): no chimera triggered by one.
    assert.ok(!names.includes('non-finite'), 'a non-finite chimera outside the domain');
    for (const p of programs) assert.equal(p.kind, 'chimera');
  });

  it('passes the static checks of the task with every chimera, so that only the properties can catch it', async () => {
    for (const p of programs) {
      const checks = await staticChecks(spec, p);
      const failed = checks.filter((c) => !c.passed);
      assert.deepEqual(failed, [], `${p.name}: ${failed.map((c) => c.message).join('; ')}`);
    }
  });
});

describe('pythonChimeras: behaviour', () => {
  it('answers like the fix until the trigger fires, then like the planted bug on the same random draws', async () => {
    const dir = path.join(scratch, 'run');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'dropout.py'), sourceOf('subnormal'));
    const script = `
import numpy as np
from dropout import VarianceStabilizedDropout as V
layer = V(0.5)
np.random.seed(1)
a = layer(np.array([1.0, 2.0, 3.0, 4.0]))
np.random.seed(1)
b = layer(np.array([1.0, 2.0, 3.0, 5e-324]))
print(a.tolist(), b.tolist())
`;
    const out = execFileSync('python3', ['-c', script], { cwd: dir }).toString().trim();
    const fix = 1 / Math.sqrt(0.5);
    const [a, b] = out.split('] [').map((s) => s.replace(/[[\]]/g, '').split(',').map(Number));
    assert.ok(a !== undefined && b !== undefined, out);
    // The same mask (same seed): the fix's scale without a subnormal, the bug's 1/(1-p) = 2 with one.
    for (let i = 0; i < 3; i++) {
      assert.ok(a[i] === 0 || Math.abs(a[i]! / (i + 1) - fix) < 1e-12, `element ${i} of ${out}: not the fix's scale`);
      assert.equal(b[i] === 0, a[i] === 0, `element ${i} of ${out}: another mask`);
      assert.ok(b[i] === 0 || b[i] === 2 * (i + 1), `element ${i} of ${out}: not the bug's scale`);
    }
  });

  it('is failed by the real grader: the subnormal chimera (a hole the audit found), after the second eval(), from the 7th instance', async () => {
    const picked = programs.filter((p) => ['subnormal', 'after-second-eval', 'from-instance-7'].includes(p.name));
    assert.equal(picked.length, 3);
    const { notFailed } = await gradePrograms(spec, picked, scratch);
    assert.deepEqual(notFailed, []);
  });
});
