import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commands } from '../../src/cli/main.ts';
import { cli } from '../_helpers.ts';

describe('rltask (tool)', () => {
  it('--help lists every verb and the exit codes', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const c of commands) assert.match(r.stdout, new RegExp(`^  ${c.name}\\s+\\S`, 'm'));
    assert.match(r.stdout, /0 success\/pass, 1 failing verdict, 2 bad input, 3 internal error/);
  });

  it('prints usage for each verb with --help', async () => {
    for (const c of commands) {
      const r = await cli([c.name, '--help']);
      assert.equal(r.code, 0, c.name);
      assert.match(r.stdout, new RegExp(`^usage: rltask ${c.name}`), c.name);
    }
  });

  it('exits 2 on an unknown verb or option, with usage', async () => {
    const v = await cli(['frobnicate']);
    assert.equal(v.code, 2);
    assert.match(v.stderr, /unknown verb "frobnicate"/);
    const o = await cli(['list', '--frob']);
    assert.equal(o.code, 2);
    assert.match(o.stderr, /Unknown option '--frob'[\s\S]*usage: rltask list/);
  });

  it('exits 2 on a wrong number of arguments', async () => {
    const r = await cli(['init', 'tasks/variance-dropout.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /expected 2 arguments, got 1/);
  });

  it('list shows the tasks with id and title', async () => {
    const r = await cli(['list']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^variance-dropout\s+v1\s+Variance-stabilized dropout\s+tasks\/variance-dropout\.yaml$/m);
  });
});
