import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { GRADING_V8_FLAGS } from '../../src/index.ts';

describe('tuneV8', () => {
  // v8.setFlagsFromString ignores a flag it does not know without a word, so a misspelt or removed flag would
  // silently stop doing anything; on the command line the same flag is refused.
  for (const flag of GRADING_V8_FLAGS) {
    it(`${flag} is a flag this Node's V8 knows`, () => {
      const r = spawnSync(process.execPath, [flag, '-e', '0'], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
    });
  }

  it('a misspelt flag is refused on the command line (what the test above relies on)', () => {
    const r = spawnSync(process.execPath, ['--interupt-budget=1', '-e', '0'], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /bad option/);
  });
});
