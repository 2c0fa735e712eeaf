import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../../_helpers.ts';
import { spawnCli } from '../../cli/_spawnCli.ts';

// A machine that cannot sandbox Python gets an error (exit 3) that says what to install, never a weaker sandbox
// and never a verdict.

const TASK = path.join(ROOT, 'tasks/variance-dropout-py.yaml');
const PYTHON = execFileSync('python3', ['-c', 'import os, sys; print(os.path.realpath(sys.executable))'], { encoding: 'utf8' }).trim();

describe('the Python runtime on a machine that cannot run it', () => {
  let dir: string;
  let bin: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'rltask-py-env-'));
    bin = mkdtempSync(path.join(tmpdir(), 'rltask-py-bin-'));
    // A PATH with Python (and numpy) but no bwrap.
    symlinkSync(PYTHON, path.join(bin, 'python3'));
    // The same Python without its site-packages: no numpy.
    writeFileSync(path.join(bin, 'python-without-numpy'), `#!/bin/sh\nexec ${PYTHON} -S "$@"\n`);
    chmodSync(path.join(bin, 'python-without-numpy'), 0o755);
    const init = await spawnCli(['init', TASK, path.join(dir, 'ws')], 60_000).exited;
    assert.equal(init.code, 0, init.stderr);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(bin, { recursive: true, force: true });
  });

  it('without bubblewrap the grade is an error (exit 3) saying apt-get install bubblewrap', async () => {
    const r = await spawnCli(['grade', TASK, path.join(dir, 'ws'), '--json'], 120_000, { PATH: bin }).exited;
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /"status":"error"/);
    assert.match(r.stdout + r.stderr, /apt-get install bubblewrap/);
  });

  it('a Python without numpy is an error naming RLTASK_PYTHON', async () => {
    const r = await spawnCli(['grade', TASK, path.join(dir, 'ws'), '--json'], 120_000, { PATH: process.env['PATH'] ?? '/usr/bin:/bin', RLTASK_PYTHON: path.join(bin, 'python-without-numpy') }).exited;
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /numpy is not importable \(set RLTASK_PYTHON, or pass --python, to a Python 3 with numpy\)/);
  });

  it('--python PATH chooses the interpreter, before the verb or after it, over RLTASK_PYTHON', async () => {
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', RLTASK_PYTHON: path.join(bin, 'python-without-numpy') };
    const good = await spawnCli(['grade', TASK, path.join(dir, 'ws'), '--json', '--python', PYTHON], 120_000, env).exited;
    // The workspace holds the planted bug: a verdict (exit 1), not an error, means the interpreter ran the grade.
    assert.equal(good.code, 1, good.stdout + good.stderr);
    assert.match(good.stdout, /"status":"failed"/);
    const bad = await spawnCli(['--python', path.join(bin, 'python-without-numpy'), 'grade', TASK, path.join(dir, 'ws'), '--json'], 120_000, { PATH: env.PATH }).exited;
    assert.equal(bad.code, 3, bad.stdout + bad.stderr);
    assert.match(bad.stdout + bad.stderr, /python-without-numpy cannot run submissions: numpy is not importable \(pass --python a Python 3 with numpy\)/);
  });

  it('--python naming no file, or nothing, is bad input (exit 2) before any grade', async () => {
    const missing = await spawnCli(['grade', TASK, path.join(dir, 'ws'), '--python', path.join(bin, 'no-such-python')], 60_000).exited;
    assert.equal(missing.code, 2, missing.stdout + missing.stderr);
    assert.equal(missing.stderr, `rltask grade: --python ${path.join(bin, 'no-such-python')} does not exist\n`);
    assert.equal(missing.stdout, '');
    const empty = await spawnCli(['grade', TASK, path.join(dir, 'ws'), '--python='], 60_000).exited;
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /--python expects PATH, got an empty value/);
  });

  it('an empty RLTASK_PYTHON means python3 on PATH', async () => {
    const r = await spawnCli(['grade', TASK, path.join(dir, 'ws'), '--json'], 120_000, { PATH: process.env['PATH'] ?? '/usr/bin:/bin', RLTASK_PYTHON: '' }).exited;
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /"status":"failed"/);
  });
});
