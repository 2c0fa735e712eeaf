import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { gradeWorkspace, initWorkspace, loadTask, RltaskError, runVisibleTests, usePython } from '../src/index.ts';
import { cleanupTmp, DROPOUT_YAML, tmp } from './_helpers.ts';

after(cleanupTmp);

describe('the library entry (src/index.ts)', () => {
  it('loads a task, materializes a workspace, runs its visible tests and grades it', async () => {
    const spec = await loadTask(DROPOUT_YAML);
    const dir = path.join(await tmp(), 'ws');
    assert.deepEqual(await initWorkspace(spec, dir), ['dropout.ts', 'dropout.test.ts']);
    const visible = await runVisibleTests(spec, dir);
    assert.equal(visible.passed, false);
    assert.match(visible.output, /not ok - second moment preserved at p=0\.5/);
    const result = await gradeWorkspace(spec, dir);
    assert.equal(result.reward, 0);
    assert.equal(result.status, 'failed');
  });

  it('throws typed errors with codes', async () => {
    await assert.rejects(loadTask('no/such/task.yaml'), (e: unknown) => e instanceof RltaskError && e.code === 'E_SPEC');
    assert.throws(() => usePython(''), (e: unknown) => e instanceof RltaskError && e.code === 'E_USAGE');
  });
});
