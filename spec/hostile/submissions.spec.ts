/**
 * Hostile submissions (spec/hostile/cases/*.ts): every case is graded in ONE batch by the real CLI, so one
 * grader process has to survive all of them, and each verdict is then checked on its own. Cases that the
 * static policy refuses are graded again by the sandbox alone (AST bypassed): defense in depth.
 *
 * Every case asserts: the expected verdict (failed, or passed for a harmless case holding a correct fix), no
 * `error` status, finished within the task's time limit plus a margin, captured output capped, its workspace
 * unchanged. At the end: no file outside the workspaces changed or appeared, the test's 127.0.0.1 server got no
 * request, the grader's pid was never signalled, and no child process is left.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { initWorkspace } from '../../src/workspace/initWorkspace.ts';
import { cli, DROPOUT_YAML } from '../_helpers.ts';
import { DEFERRED_MARKER, type HostileCase, hostileCases } from './hostileCases.ts';
import { type BatchResult, fillPlaceholders, gradeRuntimeOnly, hostileTask, LIMITS, MARGIN_MS, parseBatch, Scratch, settledProcesses, snapshot, variantYaml } from './_support.ts';

const cases = await hostileCases();
let scratch: Scratch;
let yamlPath: string;
let server: http.Server;
let hits = 0;
const workspaces = new Map<string, string>();
const sources = new Map<string, string>();
const before_ = new Map<string, Map<string, string>>();
let outsideBefore: Map<string, string>;
let repoTaskHash: string;
let batch: { code: number; stderr: string; results: Map<string, BatchResult> };

const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');
const capped = (output: string) => Buffer.byteLength(output) <= LIMITS.outputBytes + 200;

before(async () => {
  scratch = await Scratch.create('hostile');
  const spec = await hostileTask();
  yamlPath = path.join(scratch.outside, 'task.yaml');
  await writeFile(yamlPath, await variantYaml());
  repoTaskHash = await sha(DROPOUT_YAML);
  server = http.createServer((_req, res) => {
    hits++;
    res.end('pwned');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  for (const c of cases) {
    const ws = await scratch.dir(c.name);
    const source = fillPlaceholders(c.source, { sentinel: scratch.sentinel, pwned: scratch.pwned, workspace: ws, taskFile: yamlPath, parentPid: process.pid, port });
    await initWorkspace(spec, ws, { force: true, contents: new Map([['dropout.ts', source]]) });
    workspaces.set(c.name, ws);
    sources.set(c.name, source);
    before_.set(c.name, await snapshot(ws));
  }
  outsideBefore = await snapshot(scratch.outside);

  const run = await cli(['grade', yamlPath, ...cases.map((c) => workspaces.get(c.name)!), '--json', '--concurrency', '2']);
  const results = parseBatch(run.stdout);
  batch = { code: run.code, stderr: run.stderr, results };
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const leftover = await settledProcesses(scratch.marker);
  const gone = await scratch.cleanup();
  assert.deepEqual(leftover, [], 'sandbox children left running');
  assert.ok(gone, 'the temporary root was not removed');
});

it(`one batch grades all ${cases.length} hostile cases and the grader survives them (exit 1, one result each)`, () => {
  assert.ok(cases.length >= 30, `only ${cases.length} cases`);
  assert.equal(batch.stderr.includes('internal error'), false, batch.stderr.slice(0, 2000));
  assert.equal(batch.results.size, cases.length, `results for ${batch.results.size} of ${cases.length} workspaces; stderr: ${batch.stderr.slice(0, 500)}`);
  assert.equal(batch.code, 1);
});

function policyRefused(r: BatchResult): boolean {
  return r.checks.some((c) => c.id === 'policy' && !c.passed);
}

describe('each hostile case', { concurrency: 2 }, () => {
  for (const c of cases) {
    it(`${c.name} [${c.category}] → ${c.expect}: ${c.reason.slice(0, 90)}`, async (t) => {
      const r = batch.results.get(workspaces.get(c.name)!);
      assert.ok(r !== undefined, 'no result for this workspace');
      t.diagnostic(`${r.status} in ${r.durationMs} ms — ${r.feedback.slice(0, 160)}`);
      const expect = c.expect === 'deferred' ? (r.output.includes(DEFERRED_MARKER) ? 'failed' : 'passed') : c.expect;
      assert.equal(r.status, expect, `full grade: ${r.feedback}`);
      assert.ok(r.durationMs <= LIMITS.timeMs + MARGIN_MS, `took ${r.durationMs} ms`);
      assert.ok(capped(r.output), `output of ${Buffer.byteLength(r.output)} bytes is not capped`);
      assert.deepEqual(await snapshot(workspaces.get(c.name)!), before_.get(c.name), 'the workspace changed');
      await runtimeLayer(c, r, t);
    });
  }
});

/** For the cases the static policy refused: the sandbox alone must reach the declared verdict too. */
async function runtimeLayer(c: HostileCase, r: BatchResult, t: TestContext): Promise<void> {
  const refused = policyRefused(r);
  assert.equal(c.runtime !== undefined, refused, refused ? 'refused by the policy: declare `// runtime:` for the sandbox alone' : '`// runtime:` is only for cases the policy refuses');
  if (c.runtime === undefined) return;
  const spec = await hostileTask();
  const v = await gradeRuntimeOnly(spec, sources.get(c.name)!);
  t.diagnostic(`sandbox alone: ${v.status}${v.failed === undefined ? '' : ` — ${v.failed.id}: ${v.failed.message.slice(0, 140)}`}`);
  assert.equal(v.status, c.runtime, `sandbox alone: ${v.failed?.id}: ${v.failed?.message}`);
  assert.ok(v.durationMs <= LIMITS.timeMs + MARGIN_MS, `sandbox alone took ${v.durationMs} ms`);
  assert.ok(capped(v.output), 'sandbox output not capped');
}

it('no side effect outside the workspaces: sentinel intact, nothing created, task files unchanged, no request, no signal', async () => {
  assert.deepEqual(await snapshot(scratch.outside), outsideBefore);
  assert.equal(await sha(DROPOUT_YAML), repoTaskHash);
  assert.equal(hits, 0, 'the 127.0.0.1 server was reached');
  // We are still here: no case managed to SIGKILL this process (the grader's parent in the runtime layer).
  assert.equal(process.kill(process.pid, 0), true);
});
