import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../_helpers.ts';

// docs/writing-a-task.md's walk-through is tasks/softplus.yaml, piece by piece: CI's `check` on that file is what
// keeps the walk-through true.

describe('docs/writing-a-task.md walk-through', () => {
  it('its first four YAML blocks, in order, are exactly tasks/softplus.yaml', async () => {
    const doc = await readFile(path.join(ROOT, 'docs/writing-a-task.md'), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(blocks.length >= 4, 'docs/writing-a-task.md has the walk-through');
    assert.equal(blocks.slice(0, 4).join(''), await readFile(path.join(ROOT, 'tasks/softplus.yaml'), 'utf8'));
  });
});
