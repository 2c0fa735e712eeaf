import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cli } from '../_helpers.ts';

describe('rltask demo', () => {
  it('shows the bug and every decoy failing and the reference passing, with the seed\'s ratios', async () => {
    const r = await cli(['demo']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^bug\s+fail\s+✓ failed\s+1\.4\d\d\s+(1\.9\d\d|2\.0\d\d)\s+3\.3\d\d\s+exact-kept-scale:/m);
    assert.match(r.stdout, /^reference\s+pass\s+✓ passed\s+1\.0\d\d\s+1\.0\d\d\s+1\.0\d\d\s+—$/m);
    assert.match(r.stdout, /^(\d+)\/\1 cases got the expected verdict$/m);
    assert.doesNotMatch(r.stdout, /✗/);
  });
});
