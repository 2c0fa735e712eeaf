import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { capOutput, WorkspaceTools } from '../../src/calibration/WorkspaceTools.ts';
import type { TaskSpec } from '../../src/task/loadTask.ts';
import { BUG_LINE, cleanupTmp, dropoutTask, tmp } from '../_helpers.ts';
import { initWorkspace } from '../../src/workspace/initWorkspace.ts';

after(cleanupTmp);

let spec: TaskSpec;
let original: string;
before(async () => {
  spec = await dropoutTask();
  original = spec.files.find((f) => f.path === 'dropout.ts')!.content;
});

/** A workspace inside a parent directory that holds a secret file the agent must never reach. */
async function setup(): Promise<{ ws: string; parent: string; tools: WorkspaceTools }> {
  const parent = await tmp('rltask-tools-');
  const ws = path.join(parent, 'ws');
  await initWorkspace(spec, ws);
  await writeFile(path.join(parent, 'secret.txt'), 'secret');
  return { ws, parent, tools: await WorkspaceTools.open(spec, ws) };
}

describe('WorkspaceTools', () => {
  it('declares list_files, read_file, write_file, str_replace and run_tests with object schemas', async () => {
    const { tools } = await setup();
    assert.deepEqual(
      tools.definitions.map((d) => d.name),
      ['list_files', 'read_file', 'write_file', 'str_replace', 'run_tests'],
    );
    const write = tools.definitions.find((d) => d.name === 'write_file')!;
    assert.equal(write.input_schema.type, 'object');
    assert.deepEqual([...write.input_schema.required].sort(), ['content', 'path']);
  });

  it("read_file returns the file's exact content; write_file and str_replace change it", async () => {
    const { ws, tools } = await setup();
    assert.deepEqual(await tools.run('read_file', { path: 'dropout.ts' }), { content: original, isError: false });
    assert.deepEqual(await tools.run('read_file', { path: './dropout.ts' }), { content: original, isError: false });

    const r = await tools.run('str_replace', { path: 'dropout.ts', old: BUG_LINE, new: 'const scale = 1.0 / Math.sqrt(keepProb);' });
    assert.equal(r.isError, false, r.content);
    assert.equal(await readFile(path.join(ws, 'dropout.ts'), 'utf8'), original.replace(BUG_LINE, 'const scale = 1.0 / Math.sqrt(keepProb);'));

    assert.equal((await tools.run('write_file', { path: 'notes/plan.md', content: 'plan\n' })).isError, false);
    assert.equal(await readFile(path.join(ws, 'notes/plan.md'), 'utf8'), 'plan\n');
    const listing = await tools.run('list_files', {});
    assert.match(listing.content, /^dropout\.test\.ts {2}\(\d+ bytes\)$/m);
    assert.match(listing.content, /^notes\/plan\.md {2}\(5 bytes\)$/m);
  });

  it('str_replace refuses text that occurs zero times or more than once', async () => {
    const { tools } = await setup();
    const none = await tools.run('str_replace', { path: 'dropout.ts', old: 'no such text', new: 'x' });
    assert.equal(none.isError, true);
    assert.match(none.content, /does not occur/);
    const many = await tools.run('str_replace', { path: 'dropout.ts', old: 'this.', new: 'that.' });
    assert.equal(many.isError, true);
    assert.match(many.content, /more than once/);
  });

  it('refuses absolute, escaping and odd paths with an error result, touching nothing outside', async () => {
    const { ws, parent, tools } = await setup();
    const refused = [
      ['read_file', { path: '../secret.txt' }, /contains "\.\."/],
      ['read_file', { path: path.join(parent, 'secret.txt') }, /absolute path/],
      ['read_file', { path: 'a/../../secret.txt' }, /contains "\.\."/],
      ['read_file', { path: '~/secret.txt' }, /"~" is not expanded/],
      ['read_file', { path: '..\\secret.txt' }, /forward slashes/],
      ['read_file', { path: 'dropout.ts\0' }, /NUL/],
      ['read_file', { path: '' }, /non-empty/],
      ['read_file', { path: '.' }, /workspace root/],
      ['write_file', { path: '../secret.txt', content: 'pwned' }, /contains "\.\."/],
      ['write_file', { path: path.join(parent, 'new.txt'), content: 'pwned' }, /absolute path/],
      ['write_file', { path: 'sub/../../new.txt', content: 'pwned' }, /contains "\.\."/],
      ['str_replace', { path: '../secret.txt', old: 'secret', new: 'pwned' }, /contains "\.\."/],
    ] as const;
    for (const [tool, input, why] of refused) {
      const r = await tools.run(tool, input);
      assert.equal(r.isError, true, `${tool} ${JSON.stringify(input)} should be refused`);
      assert.match(r.content, why);
      assert.doesNotMatch(r.content, /^secret$/);
    }
    assert.equal(await readFile(path.join(parent, 'secret.txt'), 'utf8'), 'secret');
    assert.deepEqual((await readdir(parent)).sort(), ['secret.txt', 'ws']);
    assert.deepEqual((await readdir(ws)).sort(), ['dropout.test.ts', 'dropout.ts']);
  });

  it('never follows a symlink, to a file or through a directory, inside or outside', async () => {
    const { ws, parent, tools } = await setup();
    await symlink(path.join(parent, 'secret.txt'), path.join(ws, 'link.txt'));
    await mkdir(path.join(parent, 'outside'));
    await symlink(path.join(parent, 'outside'), path.join(ws, 'dirlink'));
    await symlink(path.join(ws, 'dropout.ts'), path.join(ws, 'inner-link.ts'));
    for (const [tool, input] of [
      ['read_file', { path: 'link.txt' }],
      ['write_file', { path: 'link.txt', content: 'pwned' }],
      ['str_replace', { path: 'link.txt', old: 'secret', new: 'pwned' }],
      ['read_file', { path: 'dirlink/anything' }],
      ['write_file', { path: 'dirlink/new.txt', content: 'pwned' }],
      ['write_file', { path: 'dirlink/deeper/new.txt', content: 'pwned' }],
      ['read_file', { path: 'inner-link.ts' }],
    ] as const) {
      const r = await tools.run(tool, input);
      assert.equal(r.isError, true, `${tool} ${JSON.stringify(input)} should be refused`);
      assert.match(r.content, /symbolic link/);
    }
    assert.equal(await readFile(path.join(parent, 'secret.txt'), 'utf8'), 'secret');
    assert.deepEqual(await readdir(path.join(parent, 'outside')), []);
    assert.match((await tools.run('list_files', {})).content, /^link\.txt {2}\(symbolic link, not followed\)$/m);
  });

  it('validates tool input and names unknown tools', async () => {
    const { tools } = await setup();
    const missing = await tools.run('read_file', {});
    assert.equal(missing.isError, true);
    assert.match(missing.content, /invalid input for read_file: path:/);
    const extra = await tools.run('write_file', { path: 'x', content: 'y', mode: 777 });
    assert.equal(extra.isError, true);
    assert.match(extra.content, /invalid input for write_file/);
    const unknown = await tools.run('bash', { command: 'cat /etc/passwd' });
    assert.equal(unknown.isError, true);
    assert.match(unknown.content, /unknown tool "bash"; available: list_files, read_file, write_file, str_replace, run_tests/);
    const dir = await tools.run('read_file', { path: 'missing.ts' });
    assert.equal(dir.isError, true);
    assert.match(dir.content, /missing\.ts does not exist/);
  });

  it("run_tests runs the visible tests in the sandbox and reports they fail on the bug", async () => {
    const { tools } = await setup();
    const r = await tools.run('run_tests', {});
    assert.equal(r.isError, false);
    assert.match(r.content, /not ok - second moment preserved at p=0\.5/);
    assert.match(r.content, /visible tests FAILED$/);
  });

  it('caps long output, keeping its head and tail', () => {
    const text = `${'a'.repeat(10_000)}${'b'.repeat(10_000)}`;
    const capped = capOutput(text, 1000);
    assert.ok(capped.length < 1100);
    assert.ok(capped.startsWith('a'.repeat(500)));
    assert.ok(capped.endsWith('b'.repeat(500)));
    assert.match(capped, /\[19000 characters omitted\]/);
    assert.equal(capOutput('short', 1000), 'short');
  });
});
