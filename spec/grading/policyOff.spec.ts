import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { gradeWorkspace } from '../../src/grading/gradeWorkspace.ts';
import type { GradeResult } from '../../src/grading/GradeResult.ts';
import { loadTask } from '../../src/task/loadTask.ts';
import { initWorkspace } from '../../src/workspace/initWorkspace.ts';
import { cleanupTmp, dropoutTask, dropoutWorkspace, ROOT, tmp, withScale } from '../_helpers.ts';

// GradeOptions.policyOff exists for the hostile specs only (the sandbox graded alone). A correct fix carrying a
// harmless line the policy refuses shows both halves: by default the policy still decides, and with it off the
// policy is reported skipped, the code reaches the sandbox and nothing else changes.

after(cleanupTmp);

function policyOf(r: GradeResult) {
  return r.checks.find((c) => c.id === 'policy');
}

async function both(grade: (policyOff: boolean) => Promise<GradeResult>): Promise<void> {
  const on = await grade(false);
  assert.equal(on.status, 'failed', on.feedback);
  assert.equal(policyOf(on)?.passed, false);
  assert.notEqual(policyOf(on)?.skipped, true);
  // failFast too: a skipped policy is not a failed static check that would stop the grade before the sandbox.
  const off = await grade(true);
  assert.equal(off.status, 'passed', off.feedback);
  assert.equal(policyOf(off)?.skipped, true);
  assert.equal(off.checks.find((c) => c.id === 'load')?.passed, true);
}

describe('GradeOptions.policyOff (test-only)', () => {
  it('typescript: a correct fix that calls process.exit inside a try fails the policy by default, passes with it off', async () => {
    const ws = await dropoutWorkspace((s) => `try { (globalThis as any).process.exit(0); } catch {}\n${withScale('1 / Math.sqrt(keepProb)')(s)}`);
    const spec = await dropoutTask();
    await both((policyOff) => gradeWorkspace(spec, ws, { policyOff, failFast: true }));
  });

  it('python: a correct fix that imports os and never uses it fails the policy by default, passes with it off', async () => {
    const spec = await loadTask(path.join(ROOT, 'tasks/variance-dropout-py.yaml'));
    const original = spec.files.find((f) => f.path === 'dropout.py')!.content;
    const ws = await tmp('rltask-policyoff-');
    const source = `import os\n${original.replace('scale = 1.0 / keep_prob', 'scale = 1.0 / np.sqrt(keep_prob)')}`;
    await initWorkspace(spec, ws, { force: true, contents: new Map([['dropout.py', source]]) });
    await both((policyOff) => gradeWorkspace(spec, ws, { policyOff, failFast: true }));
  });
});
