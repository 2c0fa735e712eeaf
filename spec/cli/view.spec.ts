import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { buildViewer } from '../../scripts/buildViewer.ts';
import { cleanupTmp, cli, tmp } from '../_helpers.ts';
import { calibrationRun, gradeBatch } from '../viewer/_fixtures.ts';
import { spawnCli, until } from './_spawnCli.ts';

const sourcesSchema = z.object({
  runs: z.array(z.object({ id: z.string(), path: z.string(), summary: z.object({ runs: z.number(), passed: z.number() }) })),
  batches: z.array(z.unknown()),
});

let run: string;
let grades: string;

before(async () => {
  // The app `rltask view` serves is the one built from these sources (npm ci builds it; a test must not see a stale one).
  await buildViewer();
  run = await calibrationRun(['fix', 'keep-bug']);
  grades = await gradeBatch(run, [1, 2]);
});
after(cleanupTmp);

describe('rltask view', () => {
  it('prints exactly one line `viewing on http://127.0.0.1:PORT`, serves the app and the API, and stops with exit 0 on SIGTERM', async () => {
    const child = spawnCli(['view', run, grades, '--port', '0']);
    try {
      assert.ok(await until(() => child.output().stdout.includes('\n'), 30_000), `no ready line; stderr: ${child.output().stderr}`);
      const { stdout } = child.output();
      const m = /^viewing on (http:\/\/127\.0\.0\.1:(\d+))\n$/.exec(stdout);
      assert.ok(m !== null, JSON.stringify(stdout));
      const url = m[1] ?? '';
      assert.notEqual(m[2], '0');
      const index = await fetch(`${url}/`);
      assert.equal(index.status, 200);
      assert.match(await index.text(), /<script type="module" src="\/assets\/app\.js"><\/script>/);
      const js = await fetch(`${url}/assets/app.js`);
      assert.equal(js.status, 200);
      assert.match(js.headers.get('content-type') ?? '', /javascript/);
      const sources = sourcesSchema.parse(await (await fetch(`${url}/api/sources`)).json());
      assert.deepEqual(
        sources.runs.map((r) => [r.id, r.path, r.summary.runs, r.summary.passed]),
        [['run-1', run, 2, 1]],
      );
      assert.deepEqual(sources.batches, [{ id: 'batch-1', path: grades, grades: 2, passed: 1, failed: 1, errors: 0 }]);
      const attempt = await fetch(`${url}/api/runs/run-1/attempts/2`);
      assert.equal(attempt.status, 200);
      assert.match(await attempt.text(), /"type":"tool","ms":\d+,"turn":1/);
      assert.equal((await fetch(`${url}/api/runs/run-1/attempts/99`)).status, 404);
      assert.equal((await fetch(`${url}/api/batches/batch-9`)).status, 404);
    } finally {
      child.kill('SIGTERM');
    }
    const exited = await child.exited;
    assert.equal(exited.code, 0, exited.stderr);
    assert.equal(exited.stdout.split('\n').filter((l) => l !== '').length, 1);
  });

  it('exit 2 naming a path that does not exist', async () => {
    const missing = path.join(await tmp('rltask-view-bad-'), 'nope');
    const r = await cli(['view', run, missing]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.includes(missing), r.stderr);
  });

  it('exit 2 naming a directory that is not a calibration run', async () => {
    const dir = await tmp('rltask-view-bad-');
    const r = await cli(['view', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`${dir} is neither a calibration output directory (with validation_results.json) nor a JSONL file`), r.stderr);
  });

  it('exit 2 naming a file that is not grade results, and the line', async () => {
    const dir = await tmp('rltask-view-bad-');
    const file = path.join(dir, 'notes.jsonl');
    await writeFile(file, '{"workspace":"w","task":"t"}\n');
    const r = await cli(['view', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`${file}:1: not a grade result`), r.stderr);
  });

  it('exit 2 naming a results file that does not validate', async () => {
    const dir = await tmp('rltask-view-bad-');
    await mkdir(path.join(dir, 'run'));
    await writeFile(path.join(dir, 'run', 'validation_results.json'), '{"summary":{},"attempts":[]}');
    const r = await cli(['view', path.join(dir, 'run')]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`${path.join(dir, 'run', 'validation_results.json')}: not calibration results: summary.`), r.stderr);
  });
});
