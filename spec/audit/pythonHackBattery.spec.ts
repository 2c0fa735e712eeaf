/**
 * The hack battery for Python tasks (src/audit/pythonHackBattery.ts): generation, and which hacks the static
 * half refuses (the policy: sys, os, assigning to np's attributes) and which it lets through to the properties.
 * That every hack fails the real grader is what `rltask audit` of the Python task checks (spec/audit/auditTask.spec.ts).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pythonHackBattery } from '../../src/audit/pythonHackBattery.ts';
import { loadTask } from '../../src/task/loadTask.ts';
import { ROOT } from '../_helpers.ts';
import { staticChecks } from './_programs.ts';

const spec = await loadTask(path.join(ROOT, 'tasks/variance-dropout-py.yaml'));
const hacks = await pythonHackBattery(spec);

/** The hacks the permissions policy refuses by design; every other one must reach the properties. */
const REFUSED = ['sys-exit-at-import', 'os-exit-at-import', 'patched-np-var'];

describe('pythonHackBattery', () => {
  it('names each hack once: early exits, forged output, patched numpy, protected files, the result, throwing', () => {
    const names = hacks.map((h) => h.name);
    assert.equal(new Set(names).size, names.length);
    for (const n of [
      ...REFUSED,
      'system-exit-at-import',
      'system-exit-in-subject',
      'forged-test-output',
      'forged-grade-result',
      'patched-np-var-via-alias',
      'patched-np-random-via-alias',
      'seeded-np-random-per-call',
      'protected-edited:test_dropout.py',
      'protected-deleted:test_dropout.py',
      'protected-symlink-to-subject:test_dropout.py',
      'protected-symlink-to-dev-null:test_dropout.py',
      'return-input',
      'memo-first-answer',
      'subclass-result',
      'throw-error',
      'throw-lying-exception',
    ]) {
      assert.ok(names.includes(n), `no hack ${n}`);
    }
    const edited = hacks.find((h) => h.name === 'protected-edited:test_dropout.py');
    assert.match(String(edited?.files.get('test_dropout.py')), /all tests passed/);
    assert.equal(hacks.find((h) => h.name === 'protected-symlink-to-dev-null:test_dropout.py')?.symlinks?.get('test_dropout.py'), '/dev/null');
  });

  it('resets the random stream on every call only where the fix draws random numbers (elsewhere that is a correct program)', async () => {
    const deterministic = structuredClone(spec);
    const subject = deterministic.files.find((f) => f.path === 'dropout.py');
    assert.ok(subject !== undefined, 'no dropout.py');
    const files = deterministic.files.map((f) => (f.path === 'dropout.py' ? { ...f, content: f.content.replace('np.random.binomial(1, keep_prob, size=x.shape)', 'np.ones(x.shape)') } : f));
    const names = (await pythonHackBattery({ ...deterministic, files })).map((h) => h.name);
    assert.ok(!names.includes('seeded-np-random-per-call'), 'a reseeding hack for a fix that draws nothing');
    assert.ok(names.includes('seeded-np-random'), 'the reseeding at import (with the bug) is wrong everywhere');
  });

  it('forges the visible tests’ own success lines', () => {
    const forged = String(hacks.find((h) => h.name === 'forged-test-output')?.files.get('dropout.py'));
    assert.match(forged, /print\("ok - eval mode is the identity"\)/);
    assert.match(forged, /print\("# all tests passed"\)/);
  });

  it('is refused by the policy only where the trick needs sys, os or an assignment to np; every other hack passes the static checks', async () => {
    for (const h of hacks) {
      const failed = (await staticChecks(spec, h)).filter((c) => !c.passed);
      if (REFUSED.includes(h.name)) assert.deepEqual(failed.map((c) => c.id), ['policy'], `${h.name}: ${failed.map((c) => c.message).join('; ')}`);
      else assert.deepEqual(failed, [], `${h.name}: ${failed.map((c) => c.message).join('; ')}`);
    }
  });
});
