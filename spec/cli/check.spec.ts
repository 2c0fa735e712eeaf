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

  it('--static loads the subject from the reference solution: a misspelt grader.subject.export is a task error (exit 2) naming the key', async () => {
    const task = await taskWith((y) => y.replace('export: VarianceStabilizedDropout', 'export: VarianceStabilisedDropout'));
    for (const args of [['--static'], ['--regrade', '0']]) {
      const r = await cli(['check', task, ...args]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /task\.yaml:\d+:\d+: grader\.subject\.export: "VarianceStabilisedDropout" is not exported by dropout\.ts as the reference solution leaves it \(it exports "VarianceStabilizedDropout"\)/);
      assert.doesNotMatch(r.stdout, /expected pass, got failed/, 'no submission is graded against a subject that does not exist');
    }
  });

  it('--static names a method a property calls that the class lacks (exit 2), and passes the same property calling a real one', async () => {
    const property = (method: string) =>
      `  properties:\n    - use: finite-on-extremes\n      call:\n        construct: [{ type: const, value: 0.5 }, { type: rng }]\n        before: [train]\n        method: ${method}\n        dims: { n: { min: 1, max: 8 } }\n        args:\n          - { type: array, shape: [n], values: { dist: gaussian } }\n`;
    const misspelt = await taskWith((y) => y.replace('  properties:\n', property('forwrd')));
    const r = await cli(['check', misspelt, '--static']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /task\.yaml:\d+:\d+: grader\.properties\[0\]\.call\.method: VarianceStabilizedDropout has no member "forwrd" in dropout\.ts as the reference solution leaves it \(it has .*"forward"/);
    const right = await cli(['check', await taskWith((y) => y.replace('  properties:\n', property('forward'))), '--static']);
    assert.equal(right.code, 0, right.stdout + right.stderr);
  });

  it('--static reports a reference solution that does not load in the sandbox (exit 2), naming `solution`', async () => {
    const task = await taskWith((y) => y.replace('replace: "const scale = 1.0 / Math.sqrt(keepProb);"\n\ndecoys:', 'replace: "const scale = 1.0 / Math.sqrt(keepProb);"\n    - file: dropout.ts\n      find: "export class"\n      replace: "throw new Error(\'boom\');\\nexport class"\n\ndecoys:'));
    const r = await cli(['check', task, '--static']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /task\.yaml:\d+:\d+: solution: dropout\.ts as the reference solution leaves it does not load in the sandbox: Error: boom/);
  });

  it('warns when a decoy behaves exactly like the reference: every property passes, only a static check rejects it', async () => {
    const decoy = [
      '  - name: public-helper',
      '    description: The reference fix plus a public helper method; behaves exactly like the fix.',
      '    edits:',
      '      - file: dropout.ts',
      '        find: "const scale = 1.0 / keepProb;"',
      '        replace: "const scale = 1.0 / Math.sqrt(keepProb);"',
      '      - file: dropout.ts',
      '        find: "  train(): void {"',
      '        replace: "  helper(): number {\\n    return 1;\\n  }\\n\\n  train(): void {"',
      '',
    ].join('\n');
    const task = await taskWith((y) => y.replace('decoys:\n', `decoys:\n${decoy}`));
    const r = await cli(['check', task, '--regrade', '0']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ public-helper\s+expected fail, got failed\s+same-public-api: .*helper is new public API/);
    assert.match(r.stdout, /warning: decoy "public-helper" passes all \d+ properties, like the reference; only same-public-api rejects it/);
    assert.equal((r.stdout.match(/warning:/g) ?? []).length, 1, 'only that decoy');
  });

  it('exits 2 for a missing task file', async () => {
    const r = await cli(['check', 'tasks/nope.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tasks\/nope\.yaml: cannot read the task file \(ENOENT\)/);
  });
});
