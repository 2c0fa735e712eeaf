import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DecoyMatcher, normalizeSource } from '../../src/calibration/DecoyMatcher.ts';
import { gradeWorkspace } from '../../src/grading/gradeWorkspace.ts';
import type { TaskSpec } from '../../src/task/loadTask.ts';
import { BUG_LINE, cleanupTmp, dropoutTask, dropoutWorkspace, withScale } from '../_helpers.ts';

after(cleanupTmp);

let spec: TaskSpec;
let original: string;
before(async () => {
  spec = await dropoutTask();
  original = spec.files.find((f) => f.path === 'dropout.ts')!.content;
});

const files = (dropout: string): Map<string, string> => new Map([['dropout.ts', dropout]]);

describe('normalizeSource', () => {
  it('ignores comments, whitespace and spelling, not meaning', () => {
    const a = normalizeSource('const s = 1.0 / k; // the bug\n', 'x.ts');
    assert.equal(normalizeSource('/* c */ const s=1/k;', 'x.ts'), a);
    assert.notEqual(normalizeSource('const s = 1.0 / Math.sqrt(k);', 'x.ts'), a);
    assert.equal(normalizeSource('not ( valid', 'x.ts'), 'not ( valid', 'unparseable text is compared as text');
  });
});

describe('DecoyMatcher', () => {
  it('matches the bug and decoys by source, whatever the formatting', () => {
    const m = new DecoyMatcher(spec);
    assert.equal(m.bySource(files(original)), 'bug');
    assert.equal(m.bySource(files(original.replace(BUG_LINE, 'const scale = 1/keepProb;   // unchanged'))), 'bug');
    assert.equal(m.bySource(files(original.replace(BUG_LINE, 'const scale = 1.03/Math.sqrt( keepProb );'))), 'few-percent-off');
    assert.equal(m.bySource(files(original.replace(BUG_LINE, 'const scale = 1.0 / Math.sqrt(keepProb);'))), undefined, 'the reference is not a decoy');
    assert.equal(m.bySource(new Map()), undefined, 'a deleted file matches nothing');
  });

  it('matches by graded behaviour only when a failing property reports the very same message', async () => {
    const m = new DecoyMatcher(spec);
    // Computes exactly what the sqrt-keep decoy computes, in other words.
    const same = await gradeWorkspace(spec, await dropoutWorkspace(withScale('Math.sqrt(1 - this.dropoutRate)')));
    assert.equal(same.status, 'failed');
    assert.equal(await m.byChecks(same.checks), 'sqrt-keep');
    assert.deepEqual(await m.match(files(original.replace(BUG_LINE, 'const scale = Math.sqrt(1 - this.dropoutRate);')), same.checks), { name: 'sqrt-keep', basis: 'same-checks' });
    // A wrong fix no decoy describes: properties fail the same way as several decoys, but with other numbers.
    const novel = await gradeWorkspace(spec, await dropoutWorkspace(withScale('2.0')));
    assert.equal(novel.status, 'failed');
    assert.equal(await m.byChecks(novel.checks), undefined);
  });
});
