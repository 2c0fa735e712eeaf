import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanupTmp, cli, DROPOUT_YAML, tmp } from '../_helpers.ts';
import { spawnCli } from './_spawnCli.ts';

after(cleanupTmp);

describe('rltask init', () => {
  it('writes the two task files, with the buggy lines verbatim', async () => {
    const dir = path.join(await tmp(), 'ws');
    const r = await cli(['init', DROPOUT_YAML, dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await readdir(dir)).sort(), ['dropout.test.ts', 'dropout.ts']);
    const src = await readFile(path.join(dir, 'dropout.ts'), 'utf8');
    assert.match(src, /^ {4}const scale = 1\.0 \/ keepProb;$/m);
    assert.match(src, /^ {6}out\[i\] = this\.rng\(\) < keepProb \? x\[i\] \* scale : 0;$/m);
    assert.match(r.stdout, /wrote 2 files for variance-dropout v1/);
  });

  it('refuses a non-empty directory with exit 2 and leaves it alone', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    const r = await cli(['init', DROPOUT_YAML, dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not empty.*--force/);
    assert.deepEqual(await readdir(dir), ['notes.txt']);
  });

  it('--force writes into a non-empty directory, keeping other files', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    await writeFile(path.join(dir, 'dropout.ts'), 'edited');
    const r = await cli(['init', DROPOUT_YAML, dir, '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(path.join(dir, 'notes.txt'), 'utf8'), 'mine');
    assert.match(await readFile(path.join(dir, 'dropout.ts'), 'utf8'), /class VarianceStabilizedDropout/);
  });

  it('--force replaces a symlink instead of writing through it', async () => {
    const dir = await tmp();
    const outside = path.join(await tmp(), 'victim.txt');
    await writeFile(outside, 'untouched');
    await symlink(outside, path.join(dir, 'dropout.ts'));
    const r = await cli(['init', DROPOUT_YAML, dir, '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(outside, 'utf8'), 'untouched');
    assert.ok((await lstat(path.join(dir, 'dropout.ts'))).isFile());
  });

  it('refuses a task whose file path escapes, before writing anything', async () => {
    const yaml = (await readFile(DROPOUT_YAML, 'utf8')).replace('  - path: dropout.test.ts', '  - path: ../escape.txt');
    const base = await tmp();
    const task = path.join(base, 'escape.yaml');
    await writeFile(task, yaml);
    const dir = path.join(base, 'ws');
    const r = await cli(['init', task, dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /escape\.yaml:\d+:\d+: files\[1\]\.path: .*inside the workspace/);
    assert.deepEqual((await readdir(base)).sort(), ['escape.yaml']);
  });

  it('refuses a directory that is a file', async () => {
    const f = path.join(await tmp(), 'file');
    await writeFile(f, '');
    const r = await cli(['init', DROPOUT_YAML, f]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a directory/);
  });

  it('creates missing parent directories', async () => {
    const dir = path.join(await tmp(), 'a', 'b');
    await mkdir(path.dirname(dir), { recursive: true });
    assert.equal((await cli(['init', DROPOUT_YAML, dir])).code, 0);
  });

  // Node's mkdir({ recursive: true }) spun at full CPU forever on such a path, and the process ignored SIGTERM.
  it('refuses a directory it cannot create (under /proc) with exit 2 at once, naming it', { skip: process.platform !== 'linux' }, async () => {
    for (const dir of ['/proc/x', '/proc/x/y/z']) {
      const r = await spawnCli(['init', DROPOUT_YAML, dir], 20_000).exited;
      assert.equal(r.timedOut, false, `init ${dir} did not return`);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, `rltask init: ${dir}: cannot create the directory /proc/x (ENOENT)\n`);
      assert.equal(r.stdout, '');
    }
  });

  it('refuses a directory under a file (ENOTDIR), writing nothing', async () => {
    const file = path.join(await tmp(), 'file');
    await writeFile(file, '');
    const r = await cli(['init', DROPOUT_YAML, path.join(file, 'ws')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^rltask init: .*file\/ws: cannot create the directory .*file\/ws \(ENOTDIR\)\n$/);
  });
});
