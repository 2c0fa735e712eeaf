import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { commands } from '../../src/cli/commands.ts';
import { cleanupTmp, type CliResult, ROOT, tmp } from '../_helpers.ts';

after(cleanupTmp);

function script(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/cliReference.ts'), ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 99, stdout, stderr });
    });
  });
}

describe('scripts/cliReference.ts (docs/cli.md)', () => {
  it('the committed docs/cli.md is what the verb definitions give (--check)', async () => {
    const r = await script(['--check']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, 'ok - docs/cli.md is up to date\n');
  });

  it('writes a reference with every verb, argument, option and exit code of the definitions', async () => {
    const file = path.join(await tmp(), 'cli.md');
    const r = await script(['--file', file]);
    assert.equal(r.code, 0, r.stderr);
    const md = await readFile(file, 'utf8');
    assert.equal(md, await readFile(path.join(ROOT, 'docs/cli.md'), 'utf8'));
    for (const c of commands) {
      const section = md.slice(md.indexOf(`\n## rltask ${c.name}\n`));
      assert.ok(section.length > 1, `no section for ${c.name}`);
      const own = section.slice(0, section.indexOf('\n## ', 1) === -1 ? undefined : section.indexOf('\n## ', 1));
      assert.match(own, new RegExp(`^\`\`\`\\nrltask ${c.name}[ \\n]`, 'm'));
      for (const p of c.positionals) assert.ok(own.includes(`<${p.valueName}>`), `${c.name}: <${p.valueName}>`);
      for (const name of Object.keys(c.options)) assert.match(own, new RegExp(`^\\| \`--${name}[ \`]`, 'm'), `${c.name} --${name}`);
      for (const code of Object.keys(c.exits)) assert.match(own, new RegExp(`^\\| ${code} \\| \\S`, 'm'), `${c.name} exit ${code}`);
    }
  });

  it('--check exits 1 for a stale or missing file, naming it, and leaves it alone', async () => {
    const dir = await tmp();
    const stale = path.join(dir, 'cli.md');
    await writeFile(stale, '# rltask command-line reference\n\nold\n');
    const r = await script(['--check', '--file', stale]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^not ok - .*cli\.md is out of date: run `npm run docs:cli` and commit it\n$/);
    assert.equal(await readFile(stale, 'utf8'), '# rltask command-line reference\n\nold\n');
    const missing = await script(['--check', '--file', path.join(dir, 'nope.md')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /nope\.md is missing/);
  });
});
