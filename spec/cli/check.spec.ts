import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanupTmp, cli, DROPOUT_YAML, tmp } from '../_helpers.ts';

after(cleanupTmp);

async function taskWith(edit: (yaml: string) => string): Promise<string> {
  const file = path.join(await tmp(), 'task.yaml');
  await writeFile(file, edit(await readFile(DROPOUT_YAML, 'utf8')));
  return file;
}

describe('rltask check', () => {
  it('self-tests the dropout task: bug fails, reference passes, every decoy fails', async () => {
    const r = await cli(['check', DROPOUT_YAML, '--regrade', '2']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ bug\s+expected fail, got failed/);
    assert.match(r.stdout, /✓ reference\s+expected pass, got passed/);
    for (const d of ['inverse-sqrt-p', 'sqrt-keep', 'no-scaling', 'inverted-mask', 'scale-in-eval']) assert.match(r.stdout, new RegExp(`✓ ${d}\\s+expected fail, got failed`));
    assert.match(r.stdout, /re-grades: 2 × reference and bug with fresh seeds — false rejects 0, false accepts 0, errors 0/);
    assert.match(r.stdout, /self-test passed/);
  });

  it('--static validates without grading', async () => {
    const r = await cli(['check', DROPOUT_YAML, '--static']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /valid — variance-dropout v1/);
    assert.doesNotMatch(r.stdout, /self-test/);
  });

  it('exits 2 on a YAML syntax error, naming the line', async () => {
    const task = await taskWith((y) => y.replace('version: 1', 'version: [1'));
    const r = await cli(['check', task]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /task\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('exits 2 on an unknown key, naming it', async () => {
    const task = await taskWith((y) => y.replace('version: 1\n', 'version: 1\nowner: me\n'));
    const r = await cli(['check', task]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /task\.yaml:6:1: owner: unknown key "owner"/);
  });

  it('exits 1 when a decoy is not rejected', async () => {
    // A "decoy" that is in fact the reference fix must be caught by the self-test.
    const task = await taskWith((y) => y.replace('replace: "const scale = 1.0;"', 'replace: "const scale = 1.0 / Math.sqrt(keepProb);"'));
    const r = await cli(['check', task, '--regrade', '0']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /✗ no-scaling\s+expected fail, got passed/);
    assert.match(r.stdout, /self-test FAILED/);
  });

  it('exits 2 for a missing task file', async () => {
    const r = await cli(['check', 'tasks/nope.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tasks\/nope\.yaml: cannot read the task file \(ENOENT\)/);
  });
});
