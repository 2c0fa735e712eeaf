/**
 * Hostile workspaces: the submission is not only dropout.ts but the whole directory. Symlinks, deleted, edited
 * or replaced tests, extra config files, huge or sparse files, non-UTF-8 bytes, devices and FIFOs. Graded in one
 * CLI batch; each case asserts its verdict, the time bound, capped output and that grading changed nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { link, mkdir, open, rm, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gradeWorkspace } from '../../src/grading/gradeWorkspace.ts';
import { initWorkspace } from '../../src/workspace/initWorkspace.ts';
import { cli } from '../_helpers.ts';
import { type BatchResult, hostileTask, LIMITS, MARGIN_MS, parseBatch, Scratch, settledProcesses, snapshot, sources, variantYaml } from './_support.ts';

interface WorkspaceCase {
  readonly name: string;
  /** Why the case exists. */
  readonly reason: string;
  readonly expect: 'passed' | 'failed';
  /** The check that must fail (for expect: failed). */
  readonly failing?: string;
  /** Turn a fresh workspace (the task's files, dropout.ts = the correct fix) into the hostile one. */
  readonly make: (ws: string, s: Scratch) => Promise<void>;
}

const src = await sources();
const FIX = src.fix;
const write = (ws: string, file: string, text: string | Buffer) => writeFile(path.join(ws, file), text);

const cases: readonly WorkspaceCase[] = [
  {
    name: 'symlinked-implementation',
    reason: 'dropout.ts is a symlink to a correct file outside the workspace (a grader that follows it would read files it was never given)',
    expect: 'failed',
    failing: 'editable:dropout.ts',
    make: async (ws, s) => {
      const target = path.join(s.outside, 'fix.ts');
      await writeFile(target, FIX);
      await unlink(path.join(ws, 'dropout.ts'));
      await symlink(target, path.join(ws, 'dropout.ts'));
    },
  },
  {
    name: 'symlink-to-device',
    reason: 'dropout.ts is a symlink to /dev/zero: following it would read forever',
    expect: 'failed',
    failing: 'editable:dropout.ts',
    make: async (ws) => {
      await unlink(path.join(ws, 'dropout.ts'));
      await symlink('/dev/zero', path.join(ws, 'dropout.ts'));
    },
  },
  {
    name: 'symlinked-tests',
    reason: 'dropout.test.ts is a symlink to an unchanged copy outside: protected files must be regular files in the workspace',
    expect: 'failed',
    failing: 'protected:dropout.test.ts',
    make: async (ws, s) => {
      const target = path.join(s.outside, 'tests-copy.ts');
      await writeFile(target, src.test);
      await unlink(path.join(ws, 'dropout.test.ts'));
      await symlink(target, path.join(ws, 'dropout.test.ts'));
    },
  },
  {
    name: 'deleted-tests',
    reason: "the original task's grader skipped its test-file comparison when the file was deleted",
    expect: 'failed',
    failing: 'protected:dropout.test.ts',
    make: (ws) => unlink(path.join(ws, 'dropout.test.ts')),
  },
  {
    name: 'edited-tests',
    reason: 'the visible tests loosened (tolerance 0.1 → 10) next to a correct fix',
    expect: 'failed',
    failing: 'protected:dropout.test.ts',
    make: (ws) => write(ws, 'dropout.test.ts', src.test.replace('<= 0.1', '<= 10')),
  },
  {
    name: 'replaced-tests',
    reason: 'the visible tests replaced by a script that only prints success',
    expect: 'failed',
    failing: 'protected:dropout.test.ts',
    make: (ws) => write(ws, 'dropout.test.ts', "console.log('# all tests passed');\n"),
  },
  {
    name: 'tests-not-utf8',
    reason: 'one byte of the protected tests turned into an invalid UTF-8 byte (0xff): still not byte-identical',
    expect: 'failed',
    failing: 'protected:dropout.test.ts',
    make: async (ws) => {
      const bytes = Buffer.from(src.test);
      bytes[10] = 0xff;
      await write(ws, 'dropout.test.ts', bytes);
    },
  },
  {
    name: 'extra-config-with-bug',
    reason: 'the bug, plus config files a Node/TS toolchain would obey (package.json, tsconfig paths, node_modules/, a compiled dropout.js holding a correct fix): the grader reads only the task files',
    expect: 'failed',
    make: async (ws) => {
      await write(ws, 'dropout.ts', src.bug);
      await extraConfig(ws);
    },
  },
  {
    name: 'extra-config-with-fix',
    reason: 'harmless: the same extra files next to a correct fix change nothing',
    expect: 'passed',
    make: extraConfig,
  },
  {
    name: 'huge-file',
    reason: 'a correct fix padded with comments beyond the task limit (fileBytes)',
    expect: 'failed',
    failing: 'editable:dropout.ts',
    make: (ws) => write(ws, 'dropout.ts', `${FIX}\n${'// padding padding padding padding\n'.repeat(Math.ceil((LIMITS.fileBytes * 2) / 35))}`),
  },
  {
    name: 'huge-sparse-file',
    reason: 'dropout.ts is a 64 GiB sparse file: refused from its size, without reading or allocating it',
    expect: 'failed',
    failing: 'editable:dropout.ts',
    make: (ws) => truncate(path.join(ws, 'dropout.ts'), 64 * 1024 ** 3),
  },
  {
    name: 'not-utf8',
    reason: 'a correct fix with invalid UTF-8 bytes in a comment',
    expect: 'failed',
    failing: 'editable:dropout.ts',
    make: (ws) => write(ws, 'dropout.ts', Buffer.concat([Buffer.from(FIX), Buffer.from([0x2f, 0x2f, 0x20, 0xc3, 0x28, 0xff, 0xfe, 0x0a])])),
  },
  {
    name: 'implementation-is-a-directory',
    reason: 'dropout.ts is a directory',
    expect: 'failed',
    failing: 'editable:dropout.ts',
    make: async (ws) => {
      await unlink(path.join(ws, 'dropout.ts'));
      await mkdir(path.join(ws, 'dropout.ts'));
    },
  },
  {
    name: 'implementation-is-a-fifo',
    reason: 'dropout.ts is a named pipe: opening it for reading would block forever without O_NONBLOCK',
    expect: 'failed',
    failing: 'editable:dropout.ts',
    make: async (ws) => {
      await unlink(path.join(ws, 'dropout.ts'));
      const r = spawnSync('mkfifo', [path.join(ws, 'dropout.ts')]);
      assert.equal(r.status, 0, 'mkfifo failed');
    },
  },
  {
    name: 'symlink-loop-and-crlf',
    reason: 'harmless: a correct fix with CRLF line endings, next to a symlink loop and a dangling symlink the grader must not trip over',
    expect: 'passed',
    make: async (ws) => {
      await write(ws, 'dropout.ts', FIX.replaceAll('\n', '\r\n'));
      await symlink('loop', path.join(ws, 'loop'));
      await symlink('/nonexistent/target', path.join(ws, 'dangling'));
    },
  },
  {
    name: 'hardlinked-tests',
    reason: 'harmless: the protected tests hard-linked to an identical file outside; the bytes are the same, and the grader never runs them',
    expect: 'passed',
    make: async (ws, s) => {
      const target = path.join(s.outside, 'tests-hardlink.ts');
      await writeFile(target, src.test);
      await unlink(path.join(ws, 'dropout.test.ts'));
      await link(target, path.join(ws, 'dropout.test.ts'));
    },
  },
];

async function extraConfig(ws: string): Promise<void> {
  await write(ws, 'package.json', JSON.stringify({ name: 'x', type: 'commonjs', main: 'dropout.js', scripts: { test: 'echo ok', preinstall: 'touch /tmp/pwned' } }));
  await write(ws, 'tsconfig.json', JSON.stringify({ compilerOptions: { paths: { './dropout.ts': ['./node_modules/fake/index.ts'] } } }));
  await write(ws, '.npmrc', 'ignore-scripts=false\n');
  await write(ws, 'dropout.js', 'exports.VarianceStabilizedDropout = class { forward(x) { return x; } };\n');
  await mkdir(path.join(ws, 'node_modules', 'fake'), { recursive: true });
  await write(ws, 'node_modules/fake/index.ts', FIX);
  await write(ws, '.rltask.yaml', 'limits: { timeMs: 999999 }\n');
}

let scratch: Scratch;
const dirs = new Map<string, string>();
const snapshots = new Map<string, Map<string, string>>();
let outsideBefore: Map<string, string>;
let batch: { code: number; stderr: string; results: Map<string, BatchResult> };

before(async () => {
  scratch = await Scratch.create('hostile-ws');
  const spec = await hostileTask();
  const yaml = path.join(scratch.outside, 'task.yaml');
  await writeFile(yaml, await variantYaml());
  for (const c of cases) {
    const ws = await scratch.dir(c.name);
    await initWorkspace(spec, ws, { force: true, contents: new Map([['dropout.ts', FIX]]) });
    await c.make(ws, scratch);
    dirs.set(c.name, ws);
    snapshots.set(c.name, await snapshot(ws));
  }
  outsideBefore = await snapshot(scratch.outside);
  const run = await cli(['grade', yaml, ...cases.map((c) => dirs.get(c.name)!), '--json']);
  const results = parseBatch(run.stdout);
  batch = { code: run.code, stderr: run.stderr, results };
});

after(async () => {
  const leftover = await settledProcesses(scratch.marker);
  // FIFOs and sparse files are removed like any other file.
  const gone = await scratch.cleanup();
  assert.deepEqual(leftover, []);
  assert.ok(gone, 'the temporary root was not removed');
});

it(`one batch grades all ${cases.length} hostile workspaces (exit 1, one result each, no grader error)`, () => {
  assert.equal(batch.results.size, cases.length, batch.stderr.slice(0, 1000));
  assert.equal(batch.code, 1, batch.stderr.slice(0, 1000));
});

describe('each hostile workspace', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.expect}: ${c.reason}`, async () => {
      const r = batch.results.get(dirs.get(c.name)!);
      assert.ok(r !== undefined);
      assert.equal(r.status, c.expect, r.feedback);
      if (c.failing !== undefined) assert.equal(r.checks.find((k) => k.id === c.failing)?.passed, false, `${c.failing} did not fail: ${r.feedback}`);
      assert.ok(r.durationMs <= LIMITS.timeMs + MARGIN_MS, `took ${r.durationMs} ms`);
      assert.ok(Buffer.byteLength(r.output) <= LIMITS.outputBytes + 200);
      assert.deepEqual(await snapshot(dirs.get(c.name)!), snapshots.get(c.name), 'grading changed the workspace');
    });
  }
});

it('nothing outside the workspaces changed (symlink and hard-link targets included)', async () => {
  assert.deepEqual(await snapshot(scratch.outside), outsideBefore);
});

it('a workspace path that is itself a symlink is refused as unusable (status error, E_WORKSPACE), not graded', async () => {
  const spec = await hostileTask();
  const real = await scratch.dir('real-workspace');
  await initWorkspace(spec, real, { force: true, contents: new Map([['dropout.ts', FIX]]) });
  const linked = path.join(scratch.root, 'linked-workspace');
  await symlink(real, linked);
  const r = await gradeWorkspace(spec, linked);
  assert.equal(r.status, 'error');
  assert.equal(r.error?.code, 'E_WORKSPACE');
  await rm(linked);
});

it('a file handle opened by someone else does not block grading (the grader opens read-only, never locks)', async () => {
  const spec = await hostileTask();
  const ws = await scratch.dir('held-open');
  await initWorkspace(spec, ws, { force: true, contents: new Map([['dropout.ts', FIX]]) });
  const held = await open(path.join(ws, 'dropout.ts'), 'r+');
  try {
    const r = await gradeWorkspace(spec, ws);
    assert.equal(r.status, 'passed', r.feedback);
  } finally {
    await held.close();
  }
});
