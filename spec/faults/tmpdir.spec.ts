/**
 * An unusable temporary directory for the verbs that make temporary workspaces (`check`, `demo`): the run ends
 * with exit 3 (the environment's fault) and a message naming the directory and the fix — never a verdict on a
 * case. Root can write into a chmod-555 directory, so "unwritable" is made two ways that hold for root too: a
 * path under a regular file, and a directory of /proc. (tsx keeps a transform cache in TMPDIR, so the CLI is
 * started with TSX_DISABLE_CACHE=1; without it tsx itself fails before rltask runs.)
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { cli, DROPOUT_YAML } from '../_helpers.ts';
import { Scratch, settledProcesses, snapshot } from '../hostile/_support.ts';

let scratch: Scratch;
let notADir: string;

before(async () => {
  scratch = await Scratch.create('tmpdir');
  notADir = path.join(scratch.outside, 'a-file');
  await writeFile(notADir, 'not a directory\n');
});

after(async () => {
  const leftover = await settledProcesses(scratch.marker);
  const gone = await scratch.cleanup();
  assert.deepEqual(leftover, []);
  assert.ok(gone);
});

const unusable = [
  { what: 'a path under a regular file', dir: () => path.join(notADir, 'tmp'), code: 'ENOTDIR' },
  { what: 'a read-only directory (/proc/self/fdinfo)', dir: () => '/proc/self/fdinfo', code: 'ENOENT' },
] as const;

for (const u of unusable) {
  for (const args of [['check', DROPOUT_YAML, '--regrade', '0'], ['demo']] as const) {
    it(`${args[0]} with TMPDIR = ${u.what}: exit 3, the directory named, no verdict claimed`, async () => {
      const before = await snapshot(scratch.outside);
      const r = await cli([...args], { env: { ...process.env, TMPDIR: u.dir(), TSX_DISABLE_CACHE: '1' } });
      assert.equal(r.code, 3, r.stderr.slice(0, 1000));
      assert.match(r.stderr, new RegExp(`cannot create a temporary workspace in ${u.dir().replaceAll('/', '\\/')} \\(${u.code}\\); set TMPDIR to a writable directory`));
      assert.doesNotMatch(r.stdout, /self-test (passed|FAILED)/);
      assert.deepEqual(await snapshot(scratch.outside), before);
    });
  }
}
