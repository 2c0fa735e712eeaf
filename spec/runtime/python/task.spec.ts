import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../../_helpers.ts';
import { spawnCli } from '../../cli/_spawnCli.ts';

// tasks/variance-dropout-py.yaml through the real CLI: the self-test and the demo give every case its expected
// verdict, and an agent's `rltask test` runs test_dropout.py inside the sandbox with its output.

const TASK = path.join(ROOT, 'tasks/variance-dropout-py.yaml');

describe('tasks/variance-dropout-py.yaml through the CLI', () => {
  it('check: the bug fails, the reference passes, every decoy fails', async () => {
    const r = await spawnCli(['check', TASK, '--regrade', '2'], 600_000).exited;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ bug +expected fail, got failed exact-kept-scale/);
    assert.match(r.stdout, /✓ reference +expected pass, got passed/);
    assert.match(r.stdout, /✓ sys-exit-at-import +expected fail, got failed policy: .*import of sys/);
    assert.match(r.stdout, /✓ np-var-patched +expected fail, got failed policy: .*assigning to np\.var/);
    assert.match(r.stdout, /✓ fixed-seed-in-call +expected fail, got failed dropout-at-size: the mask of training call 2 is the one of call 1/);
    assert.match(r.stdout, /✓ fixed-mask-above-200k-elements +expected fail, got failed dropout-at-size: the mask of training call 2 is the one of call 1/);
    assert.match(r.stdout, /self-test passed/);
    assert.doesNotMatch(r.stdout, /✗/);
  });

  it('demo: every case gets its expected verdict, with the variance ratios of the bug and the fix', async () => {
    const r = await spawnCli(['demo', TASK], 600_000).exited;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^bug +fail +✓ failed +1\.4\d\d +2\.0\d\d +3\.3\d\d /m);
    assert.match(r.stdout, /^reference +pass +✓ passed +(0\.99\d|1\.00\d) +(0\.99\d|1\.00\d) +(0\.99\d|1\.00\d) /m);
    assert.match(r.stdout, /(\d+)\/\1 cases got the expected verdict/);
  });

  it('test: test_dropout.py runs in the sandbox; the bug fails it with its output, the fix passes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rltask-py-ws-'));
    try {
      const init = await spawnCli(['init', TASK, dir, '--force'], 60_000).exited;
      assert.equal(init.code, 0, init.stderr);
      const bug = await spawnCli(['test', TASK, dir], 120_000).exited;
      assert.equal(bug.code, 1, bug.stdout + bug.stderr);
      assert.match(bug.stdout + bug.stderr, /not ok - second moment preserved at p=0\.3: E\[Y\^2\]\/E\[X\^2\] = 1\.4/);
      assert.match(bug.stdout + bug.stderr, /SystemExit: exit code 1/);
      const file = path.join(dir, 'dropout.py');
      writeFileSync(file, readFileSync(file, 'utf8').replace('scale = 1.0 / keep_prob', 'scale = 1.0 / np.sqrt(keep_prob)'));
      const fixed = await spawnCli(['test', TASK, dir], 120_000).exited;
      assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
      assert.match(fixed.stdout + fixed.stderr, /# all tests passed/);
      // A batch (pre-started children sharing an input file) gives each workspace its own verdict.
      const bugDir = path.join(dir, 'bug');
      assert.equal((await spawnCli(['init', TASK, bugDir], 60_000).exited).code, 0);
      const batch = await spawnCli(['grade', TASK, dir, bugDir, '--json', '--concurrency', '2'], 300_000).exited;
      assert.equal(batch.code, 1, batch.stdout + batch.stderr);
      const statuses = batch.stdout.trim().split('\n').map((line) => {
        const parsed: unknown = JSON.parse(line);
        assert.ok(typeof parsed === 'object' && parsed !== null && 'status' in parsed && 'workspace' in parsed);
        return `${String(parsed.workspace) === bugDir ? 'bug' : 'fixed'} ${String(parsed.status)}`;
      });
      assert.deepEqual(statuses.sort(), ['bug failed', 'fixed passed']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
