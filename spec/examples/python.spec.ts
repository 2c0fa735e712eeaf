// The Python examples (examples/python/) run against a live server: the grading client over HTTP, its reward
// function, and one episode over the OpenEnv WebSocket. The reference fix must get reward 1 and the planted bug 0.
// Nothing here is skipped when Python is missing: CI installs python3's requests and websockets (.ci/run).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type WebSocket, WebSocketServer } from 'ws';
import { caseContents, taskCases } from '../../src/grading/gradeCases.ts';
import { type RunningServer, startServer } from '../../src/server/startServer.ts';
import { cleanupTmp, dropoutTask, ROOT, tmp } from '../_helpers.ts';

const TOKEN = 'python-examples-token';
const GRADE_CLIENT = path.join(ROOT, 'examples/python/grade_client.py');
const EPISODE = path.join(ROOT, 'examples/python/episode.py');
/** Each run grades once or twice; on a loaded 2-core machine a grade takes seconds. */
const RUN_TIMEOUT = 180_000;

interface PythonRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a Python run: RLTASK_API_TOKEN set to `token`, or absent. */
function envWith(token: string | undefined): NodeJS.ProcessEnv {
  // No __pycache__ written into examples/ by the import in the reward-function test.
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
  delete env['RLTASK_API_TOKEN'];
  if (token !== undefined) env['RLTASK_API_TOKEN'] = token;
  return env;
}

function python(args: readonly string[], token: string | undefined): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    execFile('python3', args, { cwd: ROOT, env: envWith(token), timeout: RUN_TIMEOUT, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(new Error(`python3 ${args.join(' ')} did not run (${String(error.code ?? error.signal ?? error.message)}): ${stderr}`));
        return;
      }
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

/** Run output for an assertion message. */
function shown(r: PythonRun): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

let withToken: RunningServer;
let noAuth: RunningServer;
let reference: string;
let bug: string;
let referenceSource: string;
let bugSource: string;

before(async () => {
  const probe = await python(['-c', 'import sys, requests, websockets; assert sys.version_info >= (3, 11), sys.version'], undefined).catch((e: unknown) => {
    throw new Error(`python3 is not on PATH: the Python examples need Python ≥ 3.11 with requests and websockets (pip install requests websockets; .ci/run installs them). ${String(e)}`);
  });
  assert.equal(probe.code, 0, `python3 lacks what the examples need (pip install requests websockets; .ci/run installs them):\n${probe.stderr}`);
  const spec = await dropoutTask();
  const contents = (kind: 'reference' | 'bug'): string => {
    const c = taskCases(spec).find((t) => t.kind === kind);
    assert.ok(c !== undefined);
    return caseContents(spec, c).get('dropout.ts') ?? '';
  };
  referenceSource = contents('reference');
  bugSource = contents('bug');
  const dir = await tmp('rltask-py-');
  reference = path.join(dir, 'reference.ts');
  bug = path.join(dir, 'bug.ts');
  await writeFile(reference, referenceSource);
  await writeFile(bug, bugSource);
  // OpenEnv's GenericEnvClient sends no Authorization header, so the episode that sends exactly what it sends
  // needs a server without a token; the grading client and the episode's token path use the other.
  [withToken, noAuth] = await Promise.all([
    startServer({ tasksDir: path.join(ROOT, 'tasks'), host: '127.0.0.1', port: 0, token: TOKEN, warmUp: false }),
    startServer({ tasksDir: path.join(ROOT, 'tasks'), host: '127.0.0.1', port: 0, token: undefined, warmUp: false }),
  ]);
});

after(async () => {
  await Promise.all([withToken?.close(), noAuth?.close()]);
  await cleanupTmp();
});

describe('examples/python/grade_client.py', () => {
  it('lists the served tasks', async () => {
    const r = await python([GRADE_CLIENT, '--url', withToken.url], TOKEN);
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /^variance-dropout v1: Variance-stabilized dropout \(variants: formula, goal-only\)$/m);
  });

  it('shows a task: its prompt and its files with their roles', async () => {
    const r = await python([GRADE_CLIENT, '--url', withToken.url, '--task', 'variance-dropout'], TOKEN);
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /^ {2}editable {2}dropout\.ts \(\d+ bytes\)$/m);
    assert.match(r.stdout, /^ {2}protected dropout\.test\.ts \(\d+ bytes\)$/m);
  });

  it('grades the reference fix: passed, reward 1, exit 0, with the provenance', { timeout: RUN_TIMEOUT }, async () => {
    const r = await python([GRADE_CLIENT, '--url', withToken.url, '--task', 'variance-dropout', '--file', `dropout.ts=${reference}`], TOKEN);
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /^variance-dropout: passed \(reward 1\) all \d+ checks passed$/m, shown(r));
    assert.match(r.stdout, /^ {2}seed 20261125, task sha256 [0-9a-f]{12}, grader \d+\.\d+\.\d+$/m);
  });

  it('grades the planted bug: failed, reward 0, exit 1, the failing checks marked', { timeout: RUN_TIMEOUT }, async () => {
    const r = await python([GRADE_CLIENT, '--url', withToken.url, '--task', 'variance-dropout', '--file', `dropout.ts=${bug}`], TOKEN);
    assert.equal(r.code, 1, shown(r));
    assert.match(r.stdout, /^variance-dropout: failed \(reward 0\) exact-kept-scale: /m, shown(r));
    assert.match(r.stdout, /^ {2}✗ exact-kept-scale /m);
  });

  it('grades a batch as it streams: one line per submission, named by its file', { timeout: RUN_TIMEOUT }, async () => {
    const r = await python([GRADE_CLIENT, '--url', withToken.url, '--task', 'variance-dropout', '--batch', reference, bug], TOKEN);
    assert.equal(r.code, 1, shown(r));
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, shown(r));
    assert.ok(lines.includes(`${reference}: passed (reward 1) all 18 checks passed`), shown(r));
    assert.ok(lines.some((l) => l.startsWith(`${bug}: failed (reward 0) exact-kept-scale: `)), shown(r));
  });

  it('its reward function maps completions (fenced or not, plain or chat messages) to rewards, in order', { timeout: RUN_TIMEOUT }, async () => {
    const script = [
      'import json, os, sys',
      `sys.path.insert(0, ${JSON.stringify(path.dirname(GRADE_CLIENT))})`,
      'from grade_client import GradeClient, make_reward_fn',
      'reference, bug = json.load(sys.stdin)',
      'client = GradeClient(os.environ["RLTASK_URL"], os.environ["RLTASK_API_TOKEN"])',
      'reward_func = make_reward_fn(client, task="variance-dropout")',
      'completions = ["The fix:\\n```ts\\n" + reference + "```\\n", [{"role": "assistant", "content": bug}], "no code at all"]',
      'print(reward_func.__name__, json.dumps(reward_func(completions)))',
      'print("by column", json.dumps(make_reward_fn(client)([bug, reference], task=["variance-dropout"] * 2)))',
    ].join('\n');
    const r = await new Promise<PythonRun>((resolve, reject) => {
      const child = execFile('python3', ['-c', script], { cwd: ROOT, env: { ...envWith(TOKEN), RLTASK_URL: withToken.url }, timeout: RUN_TIMEOUT }, (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') reject(error);
        else resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
      });
      child.stdin?.end(JSON.stringify([referenceSource, bugSource]));
    });
    assert.equal(r.code, 0, shown(r));
    assert.equal(r.stdout, 'rltask_variance-dropout [1.0, 0.0, 0.0]\nby column [0.0, 1.0]\n');
  });

  it('without the token: the 401 on stderr, exit 2', async () => {
    const r = await python([GRADE_CLIENT, '--url', withToken.url], undefined);
    assert.equal(r.code, 2, shown(r));
    assert.match(r.stderr, /^grade_client: HTTP 401 UNAUTHORIZED: missing or wrong token/m);
  });
});

describe('examples/python/episode.py', () => {
  it('an episode with the reference fix, as GenericEnvClient sends it (no token): reward 1', { timeout: RUN_TIMEOUT }, async () => {
    const r = await python([EPISODE, '--url', noAuth.url, '--task', 'variance-dropout', '--file', `dropout.ts=${reference}`], undefined);
    assert.equal(r.code, 0, shown(r));
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^reset variance-dropout: files dropout\.ts, dropout\.test\.ts; tools list_files, read_file, write_file, str_replace, run_tests, submit; prompt: /);
    assert.deepEqual(
      lines.slice(1, -2).map((l) => l.split(':')[0]),
      ['step list_files', 'step read_file dropout.ts', 'step write_file dropout.ts', 'step run_tests', 'step submit'],
      shown(r),
    );
    assert.match(r.stdout, /^step read_file dropout\.ts: reward None, done False: \d+ bytes$/m);
    assert.match(r.stdout, /^step submit: reward 1, done True: PASSED \(reward 1\): all 18 checks passed$/m);
    assert.match(lines.at(-2) ?? '', /^state: episode [0-9a-f-]{36}, 5 steps, done True$/);
    assert.equal(lines.at(-1), 'reward 1');
  });

  it('an episode that submits the bug, with the token in the handshake: reward 0', { timeout: RUN_TIMEOUT }, async () => {
    const r = await python([EPISODE, '--url', withToken.url, '--task', 'variance-dropout'], TOKEN);
    assert.equal(r.code, 1, shown(r));
    assert.match(r.stdout, /^step run_tests: reward None, done False: not ok /m, shown(r));
    assert.match(r.stdout, /^step submit: reward 0, done True: FAILED \(reward 0\): /m);
    assert.equal(r.stdout.trimEnd().split('\n').at(-1), 'reward 0');
  });

  it("the server's error reply, as GenericEnvClient raises it: exit 3", async () => {
    const r = await python([EPISODE, '--url', noAuth.url, '--task', 'no-such-task'], undefined);
    assert.equal(r.code, 3, shown(r));
    assert.match(r.stderr, /^episode: Server error: data\.task: no task "no-such-task"; .* \(code: VALIDATION_ERROR\)$/m);
  });

  it("sends exactly GenericEnvClient's frames: json.dumps of reset, step, state, then close; no token, no header", async () => {
    // A scripted stand-in for the server records what arrives on the wire.
    const frames: string[] = [];
    let handshake: IncomingHttpHeaders = {};
    let requested = '';
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (socket: WebSocket, req) => {
      handshake = req.headers;
      requested = req.url ?? '';
      socket.on('message', (raw) => {
        const text = raw.toString();
        frames.push(text);
        const m = JSON.parse(text) as { type: string; data?: { tool?: string } };
        const tools = ['list_files', 'read_file', 'write_file', 'str_replace', 'run_tests', 'submit'].map((name) => ({ name, description: name, input_schema: {} }));
        if (m.type === 'reset') socket.send(JSON.stringify({ type: 'observation', data: { observation: { prompt: 'Fix it.', files: ['dropout.ts'], tools }, reward: null, done: false } }));
        if (m.type === 'step') {
          const submit = m.data?.tool === 'submit';
          socket.send(JSON.stringify({ type: 'observation', data: { observation: { tool: m.data?.tool, output: submit ? 'PASSED (reward 1)' : 'ok', is_error: false }, reward: submit ? 1 : null, done: submit } }));
        }
        if (m.type === 'state') socket.send(JSON.stringify({ type: 'state', data: { episode_id: 'e1', step_count: 5, task: 'variance-dropout', done: true } }));
        if (m.type === 'close') socket.close(1000);
      });
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const address = wss.address();
    assert.ok(typeof address === 'object' && address !== null);
    try {
      const r = await python([EPISODE, '--url', `http://127.0.0.1:${address.port}/`, '--task', 'variance-dropout', '--seed', '7', '--file', `dropout.ts=${reference}`], undefined);
      assert.equal(r.code, 0, shown(r));
      assert.equal(requested, '/ws');
      assert.equal(handshake['authorization'], undefined);
      // Python's json.dumps: ", " and ": " between items, key order as built, state and close without data. For
      // ASCII text its string escapes are JSON.stringify's.
      assert.match(referenceSource, /^[\x20-\x7e\n]*$/);
      assert.deepEqual(frames, [
        '{"type": "reset", "data": {"task": "variance-dropout", "seed": 7}}',
        '{"type": "step", "data": {"tool": "list_files"}}',
        '{"type": "step", "data": {"tool": "read_file", "path": "dropout.ts"}}',
        `{"type": "step", "data": {"tool": "write_file", "path": "dropout.ts", "content": ${JSON.stringify(referenceSource)}}}`,
        '{"type": "step", "data": {"tool": "run_tests"}}',
        '{"type": "step", "data": {"tool": "submit"}}',
        '{"type": "state"}',
        '{"type": "close"}',
      ]);
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });

  it('a refused handshake (no token): the status on stderr, exit 3', async () => {
    const r = await python([EPISODE, '--url', withToken.url, '--task', 'variance-dropout'], undefined);
    assert.equal(r.code, 3, shown(r));
    assert.match(r.stderr, /HTTP 401/);
  });
});
