import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readTranscript } from '../../src/viewer/readTranscript.ts';
import { cleanupTmp, tmp } from '../_helpers.ts';

after(cleanupTmp);

describe('readTranscript', () => {
  it('reads the known kinds, keeps an unknown one as `other`, and counts lines that are not JSON', async () => {
    const dir = await tmp('rltask-view-tr-');
    await mkdir(path.join(dir, 'transcripts'));
    const lines = [
      JSON.stringify({ type: 'attempt', attempt: 1, task: 't', startedAt: '2026-01-01T00:00:00.000Z' }),
      JSON.stringify({ type: 'response', ms: 5, turn: 1, stop_reason: 'tool_use', usage: null, content: [{ type: 'tool_use', id: 'a', name: 'run_tests', input: {} }] }),
      JSON.stringify({ type: 'tool', ms: 9, turn: 1, id: 'a', name: 'run_tests', isError: false, result: 'ok' }),
      JSON.stringify({ type: 'from-the-future', x: 1 }),
      '{"type":"end","ms":',
    ];
    await writeFile(path.join(dir, 'transcripts/1.jsonl'), `${lines.join('\n')}\n`);
    const t = await readTranscript(dir, 'transcripts/1.jsonl');
    assert.deepEqual(
      t.events.map((e) => e.type),
      ['attempt', 'response', 'tool', 'other'],
    );
    assert.deepEqual(t.events[3], { type: 'other', line: 4, raw: { type: 'from-the-future', x: 1 } });
    assert.equal(t.problem, 'transcripts/1.jsonl: 1 line not JSON, left out');
  });

  it('reads nothing outside the run directory, and says why a transcript is missing', async () => {
    const dir = await tmp('rltask-view-tr-');
    assert.deepEqual(await readTranscript(dir, '../../etc/passwd'), { events: [], problem: "../../etc/passwd: outside the run's directory, not read" });
    assert.deepEqual(await readTranscript(dir, 'transcripts/9.jsonl'), { events: [], problem: 'transcripts/9.jsonl: ENOENT' });
  });
});
