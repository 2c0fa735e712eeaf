import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../_helpers.ts';

// The README's "write a new task" walk-through is tasks/softplus.yaml, piece by piece: CI's `check` on that
// file is what keeps the walk-through true.

describe('README walk-through', () => {
  it('its YAML blocks, in order, are exactly tasks/softplus.yaml', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('<!-- section:write-a-task -->');
    const end = readme.indexOf('<!-- /section:write-a-task -->');
    assert.ok(start >= 0 && end > start, 'the README has the write-a-task section');
    const blocks = [...readme.slice(start, end).matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(blocks.length >= 4);
    assert.equal(blocks.slice(0, 4).join(''), await readFile(path.join(ROOT, 'tasks/softplus.yaml'), 'utf8'));
  });
});
