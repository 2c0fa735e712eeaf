import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RltaskError } from '../../src/errors.ts';
import type { RunningServer } from '../../src/server/startServer.ts';
import { loadTask, type TaskSpec } from '../../src/task/loadTask.ts';
import { dropoutTask } from '../_helpers.ts';
import { call, dropoutFiles, rawPost, serve, TASKS, TOKEN } from './_server.ts';

let spec: TaskSpec;
let server: RunningServer;
const log: string[] = [];

before(async () => {
  spec = await dropoutTask();
  server = await serve({ log, limits: { maxBodyBytes: 1024 * 1024 } });
});
after(() => server.close());

const grade = (body: unknown, o: { token?: string | null } = {}) => call(`${server.url}/v1/grade`, 'POST', body, o);

describe('the grading API', () => {
  it('GET /v1/tasks lists every served task', async () => {
    const r = await call(`${server.url}/v1/tasks`, 'GET');
    assert.equal(r.status, 200);
    const { tasks } = r.json() as { tasks: { id: string; version: number; title: string; runtime: string; variants: string[] }[] };
    // The server serves tasks/ by default: every task file there, by its id.
    const files = (await readdir(TASKS)).filter((f) => f.endsWith('.yaml'));
    const ids = await Promise.all(files.map(async (f) => (await loadTask(path.join(TASKS, f))).id));
    assert.ok(ids.length >= 7);
    assert.deepEqual(tasks.map((t) => t.id).sort(), ids.sort());
    assert.deepEqual(tasks.find((t) => t.id === 'variance-dropout'), { id: 'variance-dropout', version: spec.version, title: spec.title, runtime: 'typescript', variants: ['formula', 'goal-only'] });
  });

  it('GET /v1/tasks/:id gives the prompt, the variants and the workspace, never the solution or the decoys', async () => {
    const r = await call(`${server.url}/v1/tasks/variance-dropout`, 'GET');
    assert.equal(r.status, 200);
    const t = r.json() as { prompt: string; variants: Record<string, { prompt: string }>; files: { path: string; role: string; content: string }[]; sha256: string };
    assert.equal(t.prompt, spec.prompt);
    assert.equal(t.variants['goal-only']?.prompt, spec.variants['goal-only']?.prompt);
    assert.deepEqual(t.files.map((f) => [f.path, f.role]), spec.files.map((f) => [f.path, f.role]));
    assert.match(t.sha256, /^[0-9a-f]{64}$/);
    for (const secret of [...spec.solution.edits.map((e) => e.replace), ...spec.decoys.flatMap((d) => d.edits.map((e) => e.replace))]) {
      assert.ok(!r.text.includes(secret), `the answer leaks ${JSON.stringify(secret)}`);
    }
    assert.equal((await call(`${server.url}/v1/tasks/nope`, 'GET')).status, 404);
  });

  it('POST /v1/grade: the reference fix passes, with the provenance of the verdict; the bug fails', async () => {
    const ok = await grade({ task: 'variance-dropout', files: dropoutFiles(spec, 'reference') });
    assert.equal(ok.status, 200);
    const g = ok.json() as { status: string; reward: number; seed: number; provenance: { taskSha256: string; graderVersion: string; seed: number; runtime: string; isolation: string[] } };
    assert.equal(g.status, 'passed');
    assert.equal(g.reward, 1);
    assert.equal(g.provenance.seed, spec.grader.seed);
    assert.equal(g.provenance.runtime, 'typescript');
    assert.match(g.provenance.taskSha256, /^[0-9a-f]{64}$/);
    assert.ok(g.provenance.isolation.includes('static-policy') && g.provenance.isolation.includes('process-group'));
    const bad = (await grade({ task: 'variance-dropout', files: dropoutFiles(spec, 'bug'), seed: 7, failFast: true })).json() as { status: string; reward: number; seed: number };
    assert.deepEqual([bad.status, bad.reward, bad.seed], ['failed', 0, 7]);
  });

  it('a missing editable file and an edited protected file are failed grades, not 400s', async () => {
    const missing = await grade({ task: 'variance-dropout', files: {} });
    assert.equal(missing.status, 200);
    assert.match(JSON.stringify(missing.json()), /dropout\.ts is missing/);
    const tampered = await grade({ task: 'variance-dropout', files: { ...dropoutFiles(spec, 'reference'), 'dropout.test.ts': '// all good\n' } });
    assert.equal(tampered.status, 200);
    const t = tampered.json() as { status: string; checks: { id: string; passed: boolean }[] };
    assert.equal(t.status, 'failed');
    assert.ok(t.checks.some((c) => c.id === 'protected:dropout.test.ts' && !c.passed));
  });

  it('400 names the field: bad JSON, a missing or wrong field, a path outside the task, non-text content, an oversized file', async () => {
    const cases: [unknown, RegExp][] = [
      [{ files: {} }, /^task: /],
      [{ task: 'variance-dropout', files: [] }, /^files: expected an object/],
      [{ task: 'variance-dropout', files: { '../x.ts': 'a' } }, /^files\["\.\.\/x\.ts"\]: not one of the task's files \(paths are relative/],
      [{ task: 'variance-dropout', files: { '/etc/passwd': 'a' } }, /^files\["\/etc\/passwd"\]: not one of the task's files/],
      [{ task: 'variance-dropout', files: { 'dropout.ts': 5 } }, /^files\["dropout\.ts"\]: expected the file's content as a string/],
      [{ task: 'variance-dropout', files: { 'dropout.ts': 'a\ud800b' } }, /^files\["dropout\.ts"\]: not valid UTF-8 text/],
      [{ task: 'variance-dropout', files: { 'dropout.ts': 'x'.repeat(spec.limits.fileBytes + 1) } }, /^files\["dropout\.ts"\]: \d+ bytes, over the task's limit/],
      [{ task: 'variance-dropout', files: {}, seed: -1 }, /^seed: /],
      [{ task: 'variance-dropout', files: {}, colour: 'red' }, /^body: .*colour|Unrecognized key/],
    ];
    for (const [body, message] of cases) {
      const r = await grade(body);
      assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)} → ${r.text}`);
      const { error } = r.json() as { error: { code: string; message: string } };
      assert.equal(error.code, 'BAD_REQUEST');
      assert.match(error.message, message);
    }
    const broken = await call(`${server.url}/v1/grade`, 'POST', undefined, { raw: '{"task": ' });
    assert.equal(broken.status, 400);
    assert.match(broken.text, /"code":"BAD_REQUEST".*not valid JSON/);
  });

  it('401 without the token or with a wrong one; the probes are open', async () => {
    for (const token of [null, 'wrong']) {
      const r = await call(`${server.url}/v1/tasks`, 'GET', undefined, { token });
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer');
      assert.equal((r.json() as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    }
    assert.equal((await call(`${server.url}/healthz`, 'GET', undefined, { token: null })).status, 200);
    assert.notEqual((await call(`${server.url}/readyz`, 'GET', undefined, { token: null })).status, 401);
    assert.equal((await call(`${server.url}/metrics`, 'GET', undefined, { token: null })).status, 401);
  });

  it('404 for an unknown task or route, 413 over --max-body', async () => {
    const unknown = await grade({ task: 'nope', files: {} });
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /task: no task \\"nope\\" \(served: adam-bias-correction/);
    const route = await call(`${server.url}/v2/whatever`, 'GET');
    assert.equal(route.status, 404);
    assert.match(route.text, /"code":"NOT_FOUND","message":"no route GET \/v2\/whatever"/);
    const big = await rawPost(`${server.url}/v1/grade`, Buffer.from(JSON.stringify({ task: 'variance-dropout', files: { 'dropout.ts': 'x'.repeat(1100 * 1024) } })));
    assert.equal(big.status, 413);
    assert.match(big.text, /"code":"PAYLOAD_TOO_LARGE".*--max-body \(1048576 bytes\)/);
  });

  it('POST /v1/grade/batch streams one NDJSON line per submission, each with its id', async () => {
    const res = await fetch(`${server.url}/v1/grade/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        task: 'variance-dropout',
        failFast: true,
        submissions: [
          { id: 'fix', files: dropoutFiles(spec, 'reference') },
          { id: 'bug', files: dropoutFiles(spec, 'bug') },
          { id: 'empty', files: {} },
        ],
      }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { id: string; workspace: string; status: string; reward: number; provenance: { seed: number } });
    assert.equal(lines.length, 3);
    const byId = new Map(lines.map((l) => [l.id, l]));
    assert.deepEqual([byId.get('fix')?.status, byId.get('bug')?.status, byId.get('empty')?.status], ['passed', 'failed', 'failed']);
    assert.ok(lines.every((l) => l.workspace === l.id && l.provenance.seed === spec.grader.seed));
    const dup = await call(`${server.url}/v1/grade/batch`, 'POST', { task: 'variance-dropout', submissions: [{ id: 'a', files: {} }, { id: 'a', files: {} }] });
    assert.equal(dup.status, 400);
    assert.match(dup.text, /submissions\[1\]\.id: \\"a\\" is used twice/);
    const badFile = await call(`${server.url}/v1/grade/batch`, 'POST', { task: 'variance-dropout', submissions: [{ id: 'a', files: { 'x.ts': '' } }] });
    assert.equal(badFile.status, 400);
    assert.match(badFile.text, /submissions\[0\]\.files\[\\"x\.ts\\"\]: not one of the task's files/);
  });

  it('a grader fault is a 200 with status "error" and the reason, not a verdict', async () => {
    const tmp = process.env['TMPDIR'];
    process.env['TMPDIR'] = '/nonexistent/rltask-spec';
    let r;
    try {
      r = await grade({ task: 'variance-dropout', files: dropoutFiles(spec, 'reference') });
    } finally {
      if (tmp === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = tmp;
    }
    assert.equal(r.status, 200);
    const g = r.json() as { status: string; error: { code: string; message: string } };
    assert.equal(g.status, 'error');
    assert.equal(g.error.code, 'E_INTERNAL');
    assert.match(g.error.message, /cannot create a temporary workspace in \/nonexistent\/rltask-spec/);
  });

  it('counts grades and requests in /metrics, and logs one JSON line per request', async () => {
    const text = (await call(`${server.url}/metrics`, 'GET')).text;
    assert.match(text, /rltask_grades_total\{task="variance-dropout",status="passed"\} [1-9]/);
    assert.match(text, /rltask_grades_total\{task="variance-dropout",status="failed"\} [1-9]/);
    assert.match(text, /rltask_grade_duration_seconds_bucket\{le="\+Inf",task="variance-dropout"\} [1-9]/);
    assert.match(text, /rltask_http_requests_total\{route="\/v1\/grade",method="POST",status="400"\} [1-9]/);
    assert.match(text, /rltask_queue_depth 0/);
    assert.match(text, /rltask_sandbox_starts_total [1-9]/);
    const lines = log.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'request');
    const posts = lines.filter((l) => l['url'] === '/v1/grade');
    assert.ok(posts.length >= 10 && posts.every((l) => typeof l['status'] === 'number' && typeof l['ms'] === 'number' && typeof l['time'] === 'string'));
  });
});

describe('the grading queue and the drain', () => {
  it('429 with Retry-After when the queue is full', async () => {
    const s = await serve({ limits: { concurrency: 1, queue: 0 } });
    try {
      const body = { task: 'variance-dropout', files: dropoutFiles(spec, 'reference') };
      const first = call(`${s.url}/v1/grade`, 'POST', body);
      // The first grade holds the only slot for seconds; the second has no room to wait.
      await new Promise((r) => setTimeout(r, 300));
      const second = await call(`${s.url}/v1/grade`, 'POST', body);
      assert.equal(second.status, 429);
      assert.equal(second.headers.get('retry-after'), '1');
      assert.match(second.text, /"code":"QUEUE_FULL","message":"the grading queue is full \(0 grades waiting, --queue 0\)/);
      assert.equal((await first).status, 200);
    } finally {
      await s.close();
    }
  });

  it('drain: grades in flight are answered, new requests get 503, /readyz says draining', async () => {
    const s = await serve({ limits: { concurrency: 2 } });
    const body = { task: 'variance-dropout', files: dropoutFiles(spec, 'reference') };
    const inFlight = [call(`${s.url}/v1/grade`, 'POST', body), call(`${s.url}/v1/grade`, 'POST', { ...body, files: dropoutFiles(spec, 'bug') })];
    await new Promise((r) => setTimeout(r, 300));
    const drained = s.drain();
    await new Promise((r) => setTimeout(r, 50));
    const late = await call(`${s.url}/v1/tasks`, 'GET');
    assert.equal(late.status, 503);
    assert.match(late.text, /"code":"DRAINING"/);
    assert.equal((await call(`${s.url}/readyz`, 'GET')).status, 503);
    const answers = await Promise.all(inFlight);
    assert.deepEqual(answers.map((a) => [a.status, (a.json() as { status: string }).status]), [[200, 'passed'], [200, 'failed']]);
    await drained;
  });

  it('readiness: 503 while warming up, 200 once a reference has been graded', async () => {
    const s = await serve({ warmUp: true });
    try {
      const early = await call(`${s.url}/readyz`, 'GET', undefined, { token: null });
      assert.equal(early.status, 503);
      assert.deepEqual(early.json(), { ready: false, reason: 'warming up' });
      await s.warm;
      assert.deepEqual((await call(`${s.url}/readyz`, 'GET', undefined, { token: null })).json(), { ready: true, reason: 'ready' });
    } finally {
      await s.close();
    }
  });

  it('refuses to serve without a token on a non-loopback host', async () => {
    await assert.rejects(serve({ token: null, limits: {} }).then(async (s) => s.close()).then(() => startNonLoopback()), (e: unknown) => e instanceof RltaskError && e.code === 'E_USAGE' && /only allowed on a loopback address/.test(e.message));
  });
});

async function startNonLoopback(): Promise<void> {
  const { startServer } = await import('../../src/server/startServer.ts');
  await startServer({ tasksDir: 'tasks', host: '0.0.0.0', port: 0, token: undefined });
}
