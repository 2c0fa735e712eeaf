import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanupTmp, cli, DROPOUT_YAML, dropoutWorkspace, withScale } from '../_helpers.ts';

after(cleanupTmp);

describe('rltask test', () => {
  it('runs the visible tests in the sandbox: the bug fails them (exit 1)', async () => {
    const r = await cli(['test', DROPOUT_YAML, await dropoutWorkspace()]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /not ok - second moment preserved at p=0\.3: E\[Y\^2\]\/E\[X\^2\] = 1\.4\d+/);
    assert.match(r.stdout, /ok - eval mode is the identity/);
    assert.match(r.stdout, /visible tests FAILED/);
  });

  it('the reference fix passes them (exit 0)', async () => {
    const r = await cli(['test', DROPOUT_YAML, await dropoutWorkspace(withScale('1.0 / Math.sqrt(keepProb)'))]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /# all tests passed/);
  });

  it('reports a syntax error in the workspace as a failing run', async () => {
    const r = await cli(['test', DROPOUT_YAML, await dropoutWorkspace((s) => s.replace('return out;', 'return out'.concat(' +;')))]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /the tests do not compile:\ndropout\.ts:\d+:\d+:/);
  });
});
