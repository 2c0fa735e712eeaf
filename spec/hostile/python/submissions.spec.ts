/**
 * Hostile Python submissions (./cases.ts) for tasks/variance-dropout-py.yaml, graded by the real grader
 * (`gradeMany`, in this process) twice: once as the CLI grades, once with the static policy off — the policy is a
 * first filter, and the sandbox has to hold alone.
 *
 * Every case asserts, in both batches: its declared verdict (never `error`), finished within the task's time
 * limit plus a margin, captured output capped, its workspace unchanged, neither of its marker files (one in the
 * workspaces' parent, one directly under the host's /tmp) created; with the policy on, whether the policy refused
 * it as declared; with it off, that the code really was loaded in a child. After both batches: the sentinel
 * directory unchanged, the 127.0.0.1 server never connected to, this process (the grader) alive with its pid, and
 * no process left: no sandboxed process under the zygote (a PID namespace dies with its init), no zygote client
 * (the one that hands the zygote a batch's input file; found by a marker in the environment it inherits), no process a case started on purpose (found by a token in
 * its argv), and once the zygote is stopped, nothing of this file at all.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gradeMany } from '../../../src/grading/gradeMany.ts';
import type { GradeResult } from '../../../src/grading/GradeResult.ts';
import { parseTask, type TaskSpec } from '../../../src/task/loadTask.ts';
import { pythonZygote, stopPythonZygote } from '../../../src/runtime/python/pythonZygote.ts';
import { initWorkspace } from '../../../src/workspace/initWorkspace.ts';
import { ROOT } from '../../_helpers.ts';
import { MARGIN_MS, Scratch, settledProcesses, snapshot } from '../_support.ts';
import { dropout, PY_CASES, type PyCase } from './cases.ts';

const TASK = path.join(ROOT, 'tasks/variance-dropout-py.yaml');
/** Small limits, so that loops and bombs end fast; the time limit leaves a loaded machine room for an honest grade. */
const LIMITS = { timeMs: 10_000, memoryMb: 256, outputBytes: 8192, fileBytes: 65536 } as const;
const SENTINEL_TEXT = 'sentinel: must never change\n';
const TOKEN = `rltask-pyhostile-${randomBytes(6).toString('hex')}`;

type Setting = 'on' | 'off';
const SETTINGS: readonly Setting[] = ['on', 'off'];

let scratch: Scratch;
let spec: TaskSpec;
let taskFile: string;
let server: net.Server;
let connections = 0;
const graderPid = process.pid;
const workspaces = new Map<string, string>();
const markers = new Map<string, readonly string[]>();
const snapshots = new Map<string, Map<string, string>>();
const results = new Map<Setting, Map<string, GradeResult>>();
const batchMs = new Map<Setting, number>();
let outsideBefore: Map<string, string>;

const py = (s: string): string => JSON.stringify(s);

function fill(c: PyCase, ws: string, port: number): string {
  const [parent, tmp] = markers.get(c.name)!;
  return c.source
    .replaceAll('__SENTINEL_TEXT__', py(SENTINEL_TEXT))
    .replaceAll('__SENTINEL__', py(scratch.sentinel))
    .replaceAll('__PWNED_PARENT__', py(parent!))
    .replaceAll('__PWNED_TMP__', py(tmp!))
    .replaceAll('__WORKSPACE__', py(ws))
    .replaceAll('__TASK_FILE__', py(taskFile))
    .replaceAll('__PARENT_PID__', String(graderPid))
    .replaceAll('__PORT__', String(port))
    .replaceAll('__TOKEN__', TOKEN);
}

/** Processes whose argv holds this run's token: what a case started on purpose, if it outlived its grade. */
async function withToken(): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'latin1').catch(() => '');
    if (!cmdline.includes(TOKEN)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'latin1').catch(() => '');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
    found.push(`${name}: ${cmdline.split('\0').join(' ').slice(0, 160)}`);
  }
  return found;
}

before(async () => {
  scratch = await Scratch.create('pyhostile');
  await writeFile(scratch.sentinel, SENTINEL_TEXT);
  const text = (await readFile(TASK, 'utf8')).replace(/^limits:\n(?: {2}.*\n)+/m, `limits:\n${Object.entries(LIMITS).map(([k, v]) => `  ${k}: ${v}\n`).join('')}`);
  taskFile = path.join(scratch.outside, 'task.yaml');
  await writeFile(taskFile, text);
  spec = await parseTask(text, 'variance-dropout-py.hostile.yaml');
  assert.deepEqual(spec.limits, LIMITS);
  server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  for (const c of PY_CASES) {
    const ws = await scratch.dir(c.name);
    markers.set(c.name, [path.join(scratch.root, `pwned-${c.name}`), path.join(tmpdir(), `${TOKEN}-${c.name}`)]);
    await initWorkspace(spec, ws, { force: true, contents: new Map([['dropout.py', fill(c, ws, port)]]) });
    workspaces.set(c.name, ws);
    snapshots.set(c.name, await snapshot(ws));
  }
  outsideBefore = await snapshot(scratch.outside);
  const dirs = PY_CASES.map((c) => workspaces.get(c.name)!);
  for (const setting of SETTINGS) {
    const started = performance.now();
    // failFast: a case's verdict needs only its first failure, and every case passes the static task checks, so
    // the hostile code still reaches the sandbox.
    const options = { failFast: true, policyOff: setting === 'off' };
    const graded = await gradeMany(spec, dirs, { ...options, concurrency: 2 });
    batchMs.set(setting, Math.round(performance.now() - started));
    results.set(setting, new Map(graded.map((r) => [r.workspace, r])));
  }
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const files of markers.values()) for (const f of files) await rm(f, { force: true });
  await stopPythonZygote();
  const leftover = await settledProcesses(scratch.marker);
  const gone = await scratch.cleanup();
  assert.deepEqual(leftover, [], 'sandbox processes left running');
  assert.ok(gone, 'the temporary root was not removed');
});

it(`the suite has at least 30 cases (${PY_CASES.length}), with unique names and a reason each`, () => {
  assert.ok(PY_CASES.length >= 30);
  assert.equal(new Set(PY_CASES.map((c) => c.name)).size, PY_CASES.length);
  for (const c of PY_CASES) assert.ok(c.reason.length > 20, c.name);
});

for (const setting of SETTINGS) {
  describe(`policy ${setting}`, () => {
    it('one batch grades every case; the grader survives it', (t) => {
      t.diagnostic(`${PY_CASES.length} grades in ${batchMs.get(setting)} ms`);
      assert.equal(results.get(setting)?.size, PY_CASES.length);
    });

    for (const c of PY_CASES) {
      const want = c.expect[setting === 'on' ? 0 : 1];
      it(`${c.name} [${c.category}] → ${want}: ${c.reason}`, async (t) => {
        const r = results.get(setting)?.get(workspaces.get(c.name)!);
        assert.ok(r !== undefined, 'no result for this workspace');
        t.diagnostic(`${r.status} in ${r.durationMs} ms — ${r.feedback.slice(0, 200)}`);
        assert.equal(r.status, want, `${r.feedback}\n${r.output.slice(0, 1500)}`);
        if (c.feedback !== undefined) assert.match(r.feedback, c.feedback);
        assert.ok(r.durationMs <= LIMITS.timeMs + MARGIN_MS, `took ${r.durationMs} ms`);
        assert.ok(Buffer.byteLength(r.output) <= LIMITS.outputBytes + 200, `output of ${Buffer.byteLength(r.output)} bytes is not capped`);
        const policy = r.checks.find((x) => x.id === 'policy');
        if (setting === 'on') {
          const refused = policy !== undefined && !policy.passed && policy.skipped !== true;
          assert.equal(refused, c.policy === 'refuses', `policy: ${policy?.message}`);
        } else if (c.name !== 'syntax-error') {
          assert.equal(policy?.skipped, true, 'the policy ran although it was off');
          const load = r.checks.find((x) => x.id === 'load');
          assert.ok(load !== undefined && load.skipped !== true, `the code never reached a child: ${load?.message}`);
        }
        assert.deepEqual(await snapshot(workspaces.get(c.name)!), snapshots.get(c.name), 'the workspace changed');
        for (const m of markers.get(c.name)!) assert.equal(existsSync(m), false, `${m} was created`);
      });
    }
  });
}

it('the bombs (every process cap filled) graded side by side with correct fixes: the fixes pass, the bombs fail', async (t) => {
  const bombs = PY_CASES.filter((c) => c.bomb === true);
  assert.ok(bombs.length >= 2);
  const fixes: string[] = [];
  for (let i = 0; i < 6; i++) {
    const ws = await scratch.dir(`neighbour-fix-${i}`);
    await initWorkspace(spec, ws, { force: true, contents: new Map([['dropout.py', dropout('fix')]]) });
    fixes.push(ws);
  }
  // One worker per bomb and one more: every fix is graded (its analyser and sandbox started) while the bombs hold
  // their caps full. The policy is off so that the bombs reach their sandboxes.
  const started = performance.now();
  const graded = await gradeMany(spec, [...bombs.map((c) => workspaces.get(c.name)!), ...fixes], { policyOff: true, concurrency: bombs.length + 1 });
  t.diagnostic(`${graded.length} grades in ${Math.round(performance.now() - started)} ms`);
  for (const r of graded.slice(0, bombs.length)) assert.equal(r.status, 'failed', `${r.workspace}: ${r.feedback}`);
  for (const r of graded.slice(bombs.length)) assert.equal(r.status, 'passed', `${r.workspace}: ${r.feedback}\n${r.output.slice(0, 500)}`);
});

it('no side effect outside the workspaces: sentinel directory unchanged, no connection, the grader alive', async () => {
  assert.deepEqual(await snapshot(scratch.outside), outsideBefore);
  assert.equal(connections, 0, 'the 127.0.0.1 server was reached');
  assert.equal(process.pid, graderPid);
  assert.equal(process.kill(graderPid, 0), true);
});

/** Every process under `pid`, itself included (read from /proc's children lists). */
async function tree(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const below = await Promise.all(children.trim().split(/\s+/).filter(Boolean).map((c) => tree(Number(c))));
  return [pid, ...below.flat()];
}

it('no process outlives its grade: no sandboxed process under the zygote, no client, no process a case started', async () => {
  // bubblewrap, its PID namespace's init and the zygote: anything below them is a sandboxed process left running.
  const zygote = await pythonZygote();
  const settled = performance.now() + 10_000;
  let below = await tree(zygote.pid);
  while (below.length > 3 && performance.now() < settled) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    below = await tree(zygote.pid);
  }
  assert.equal(below.length, 3, `processes under the zygote: ${below.join(', ')}`);
  // What this file's environment marks, bar the zygote: the input files' clients, each gone once it handed its file over.
  assert.deepEqual((await settledProcesses(scratch.marker)).filter((p) => !below.includes(p.pid)), []);
  await stopPythonZygote();
  assert.deepEqual(await settledProcesses(scratch.marker), []);
  const until = performance.now() + 10_000;
  let left = await withToken();
  while (left.length > 0 && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    left = await withToken();
  }
  assert.deepEqual(left, []);
});
