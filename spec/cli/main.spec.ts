import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { commands } from '../../src/cli/commands.ts';
import type { Io } from '../../src/cli/Io.ts';
import { main } from '../../src/cli/main.ts';
import { cleanupTmp, cli, type CliResult, DROPOUT_YAML, ROOT, tmp } from '../_helpers.ts';

after(cleanupTmp);

/** Bad input: exit 2, nothing on stdout, exactly `line` on stderr (one line, no stack trace). */
function assertBadInput(r: CliResult, line: string | RegExp): void {
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.split('\n').length, 2, `one line on stderr: ${r.stderr}`);
  if (typeof line === 'string') assert.equal(r.stderr, `${line}\n`);
  else assert.match(r.stderr, line);
}

/** main() in this process with buffers (faster than spawning the CLI); `out` can be made to throw. */
async function run(argv: readonly string[], out?: (t: string) => void): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = { out: out ?? ((t) => void (stdout += t)), err: (t) => void (stderr += t), isTty: false, env: {}, signal: new AbortController().signal };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('rltask (tool)', () => {
  it('--help lists every verb, the global options and the exit codes', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const c of commands) assert.match(r.stdout, new RegExp(`^  ${c.name}\\s+\\S`, 'm'));
    for (const o of ['--debug', '-h, --help', '-V, --version']) assert.match(r.stdout, new RegExp(`^  ${o}\\s+\\S`, 'm'));
    assert.match(r.stdout, /0 success\/pass, 1 failing verdict, 2 bad input, 3 internal error, 130 interrupted/);
  });

  it("each verb's --help shows its usage, every argument and option from its definition, and its exit codes", async () => {
    for (const c of commands) {
      const r = await run([c.name, '--help']);
      assert.equal(r.code, 0, c.name);
      assert.match(r.stdout, new RegExp(`^usage: rltask ${c.name}`), c.name);
      for (const p of c.positionals) assert.ok(r.stdout.includes(`<${p.valueName}>`), `${c.name}: <${p.valueName}>`);
      for (const [name, o] of Object.entries(c.options)) assert.match(r.stdout, new RegExp(`^  --${name}${o.type === 'boolean' ? '' : ` ${o.valueName}`}\\s+\\S`, 'm'), `${c.name} --${name}`);
      for (const code of Object.keys(c.exits)) assert.match(r.stdout, new RegExp(`^  ${code}\\s+\\S`, 'm'), `${c.name} exit ${code}`);
    }
    assert.equal((await cli(['help', 'grade'])).stdout, (await run(['grade', '-h'])).stdout);
  });

  it('--version and -V print the version from package.json', async () => {
    const pkg: unknown = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
    assert.ok(typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string');
    const { version } = pkg;
    for (const r of [await cli(['--version']), await run(['-V'])]) {
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `rltask ${version}\n`);
    }
  });

  it('exits 2 with one line for a missing or unknown verb', async () => {
    assertBadInput(await cli([]), /^rltask: missing verb; the verbs are init, check, list, grade, test, demo, audit, calibrate, serve, view \(see rltask --help\)\n$/);
    assertBadInput(await run(['frobnicate']), /^rltask: unknown verb "frobnicate"; the verbs are /);
    assertBadInput(await run(['help', 'frobnicate']), /^rltask: unknown verb "frobnicate"/);
  });

  it('exits 2 with one line for an unknown option, suggesting a near one', async () => {
    assertBadInput(await cli(['grade', '--bogus']), 'rltask grade: unknown option --bogus (see rltask grade --help)');
    assertBadInput(await run(['grade', DROPOUT_YAML, '.', '--sed', '3']), 'rltask grade: unknown option --sed; did you mean --seed? (see rltask grade --help)');
    assertBadInput(await run(['list', '-x']), 'rltask list: unknown option -x (see rltask list --help)');
    assertBadInput(await run(['--bogus', 'list']), 'rltask: unknown option --bogus before the verb (see rltask --help)');
  });

  it('exits 2 on a missing or an extra argument', async () => {
    assertBadInput(await run(['init', DROPOUT_YAML]), 'rltask init: missing argument <dir> (see rltask init --help)');
    assertBadInput(await run(['grade', DROPOUT_YAML]), 'rltask grade: missing argument <workspace> (see rltask grade --help)');
    assertBadInput(await cli(['list', 'extra']), 'rltask list: unexpected argument "extra" (see rltask list --help)');
    assertBadInput(await run(['demo', DROPOUT_YAML, 'extra']), 'rltask demo: unexpected argument "extra" (see rltask demo --help)');
  });

  it('reads a negative number as the value of an option and range-checks it', async () => {
    assertBadInput(await cli(['grade', DROPOUT_YAML, '.', '--seed', '-1']), 'rltask grade: --seed must be between 0 and 2147483647, got -1');
    assertBadInput(await run(['grade', DROPOUT_YAML, '.', '--seed=-1']), 'rltask grade: --seed must be between 0 and 2147483647, got -1');
    assertBadInput(await run(['grade', DROPOUT_YAML, '.', '--concurrency', '-3']), 'rltask grade: --concurrency must be between 1 and 256, got -3');
    assertBadInput(await run(['check', DROPOUT_YAML, '--regrade', '-1']), 'rltask check: --regrade must be between 0 and 1000000, got -1');
    assertBadInput(await run(['check', DROPOUT_YAML, '--regrade', '1.5']), 'rltask check: --regrade expects a whole number, got "1.5"');
  });

  it('exits 2 on an option without its value, or a flag with one', async () => {
    assertBadInput(await run(['list', '--dir']), 'rltask list: --dir expects a value (DIR)');
    assertBadInput(await run(['grade', DROPOUT_YAML, '.', '--seed', '--json']), 'rltask grade: --seed expects a value (N)');
    assertBadInput(await run(['grade', DROPOUT_YAML, '.', '--json=yes']), 'rltask grade: --json takes no value, got "yes"');
  });

  it('checks every argument before doing any work: check --regrade abc prints no verdict', async () => {
    assertBadInput(await cli(['check', DROPOUT_YAML, '--regrade', 'abc']), 'rltask check: --regrade expects a whole number, got "abc"');
  });

  it('an argument after -- is positional even if it looks like an option', async () => {
    assertBadInput(await run(['list', '--', '--dir']), 'rltask list: unexpected argument "--dir" (see rltask list --help)');
  });

  it('an internal error is exit 3 with one line and a hint; --debug adds the stack trace', async () => {
    const boom = (): never => {
      throw new Error('disk on fire\nsecond line');
    };
    const plain = await run(['list'], boom);
    assert.equal(plain.code, 3);
    assert.equal(plain.stderr, 'rltask list: internal error: disk on fire (re-run with --debug for the stack trace)\n');
    for (const argv of [['list', '--debug'], ['--debug', 'list']]) {
      const debug = await run(argv, boom);
      assert.equal(debug.code, 3);
      assert.match(debug.stderr, /^rltask list: internal error: Error: disk on fire\nsecond line\n\s+at /);
    }
  });
});

describe('rltask list', () => {
  it('shows the tasks with id and title', async () => {
    const r = await cli(['list']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^variance-dropout\s+v1\s+Variance-stabilized dropout\s+tasks\/variance-dropout\.yaml$/m);
  });

  it('exits 2 naming a --dir that does not exist or is a file', async () => {
    assertBadInput(await cli(['list', '--dir', '/tmp/nonexistent-rltask-dir']), 'rltask list: --dir /tmp/nonexistent-rltask-dir does not exist');
    assertBadInput(await cli(['list', '--dir', 'tasks/softplus.yaml']), 'rltask list: --dir tasks/softplus.yaml is not a directory');
  });

  it('lists an invalid task as such, naming the missing key (exit 2)', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, 'x.yaml'), (await readFile(DROPOUT_YAML, 'utf8')).replace(/^prompt: [\s\S]*?\n(?=\w)/m, ''));
    const r = await cli(['list', '--dir', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /^\(invalid\)\s+missing required key `prompt`\s+.*x\.yaml$/m);
    assert.match(r.stdout, /^1 task, 1 invalid$/m);
  });
});
