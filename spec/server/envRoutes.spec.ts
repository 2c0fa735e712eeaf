import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFile, lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { caseContents, taskCases } from '../../src/grading/gradeCases.ts';
import { HttpError } from '../../src/server/HttpError.ts';
import type { ServerLimits } from '../../src/server/ServerContext.ts';
import { type RunningServer, startServer } from '../../src/server/startServer.ts';
import type { TaskSpec } from '../../src/task/loadTask.ts';
import { DROPOUT_YAML, dropoutTask, ROOT } from '../_helpers.ts';

const TOKEN = 'env-spec-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** A grade on a loaded 2-core machine takes seconds; a test that grades gets this long. */
const GRADE_TIMEOUT = 180_000;

interface Message {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

function isMessage(v: unknown): v is Message {
  return typeof v === 'object' && v !== null && 'type' in v && typeof v.type === 'string' && 'data' in v && typeof v.data === 'object' && v.data !== null;
}

/** A test client of `/ws`: what OpenEnv's EnvClient does (send one message, read one reply), with the close code. */
class Client {
  readonly #ws: WebSocket;
  readonly #inbox: Message[] = [];
  readonly #waiting: ((m: Message | undefined) => void)[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  readonly opened: Promise<void>;

  constructor(url: string, headers: Record<string, string> = AUTH) {
    this.#ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.#ws.once('open', () => resolve());
      this.#ws.once('unexpected-response', (req, res) => {
        req.destroy();
        reject(new Error(`upgrade refused: ${res.statusCode}`));
      });
      this.#ws.on('error', reject);
    });
    this.#ws.on('message', (raw) => {
      const parsed: unknown = JSON.parse(raw.toString());
      assert.ok(isMessage(parsed), `not a {type, data} message: ${raw.toString()}`);
      const w = this.#waiting.shift();
      if (w === undefined) this.#inbox.push(parsed);
      else w(parsed);
    });
    this.closed = new Promise((resolve) => {
      this.#ws.on('close', (code) => {
        this.closeCode = code;
        for (const w of this.#waiting.splice(0)) w(undefined);
        resolve(code);
      });
    });
  }

  static async open(url: string): Promise<Client> {
    const c = new Client(url);
    await c.opened;
    return c;
  }

  sendRaw(text: string): void {
    this.#ws.send(text);
  }

  next(): Promise<Message> {
    const m = this.#inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.closeCode !== undefined) return Promise.reject(new Error(`socket closed (${this.closeCode})`));
    return new Promise((resolve, reject) => this.#waiting.push((x) => (x === undefined ? reject(new Error(`socket closed (${this.closeCode})`)) : resolve(x))));
  }

  async ask(message: unknown): Promise<Message> {
    this.sendRaw(JSON.stringify(message));
    return this.next();
  }

  reset(data: Record<string, unknown> = { task: 'variance-dropout' }): Promise<Message> {
    return this.ask({ type: 'reset', data });
  }

  step(action: Record<string, unknown>): Promise<Message> {
    return this.ask({ type: 'step', data: action });
  }

  terminate(): void {
    this.#ws.terminate();
  }

  close(): void {
    this.#ws.close();
  }
}

/** The observation of an observation reply, failing the test on anything else. */
function observation(m: Message): { observation: Record<string, unknown>; reward: unknown; done: unknown } {
  assert.equal(m.type, 'observation', `expected an observation, got ${JSON.stringify(m)}`);
  const o = m.data.observation;
  assert.ok(typeof o === 'object' && o !== null);
  return { observation: { ...o }, reward: m.data.reward, done: m.data.done };
}

function errorCode(m: Message): unknown {
  assert.equal(m.type, 'error', `expected an error, got ${JSON.stringify(m)}`);
  assert.equal(typeof m.data.message, 'string');
  return m.data.code;
}

/** The session workspaces in the temporary directory. */
async function workspaces(): Promise<Set<string>> {
  return new Set((await readdir(tmpdir())).filter((n) => n.startsWith('rltask-env-')).map((n) => path.join(tmpdir(), n)));
}

/** Reset and return the observation and the workspace directory the reset created. */
async function resetWithDir(c: Client, data?: Record<string, unknown>): Promise<{ obs: ReturnType<typeof observation>; dir: string }> {
  const before = await workspaces();
  const obs = observation(await c.reset(data));
  const created = [...(await workspaces())].filter((d) => !before.has(d));
  assert.equal(created.length, 1, `one new workspace, got ${created.join(', ')}`);
  return { obs, dir: created[0]! };
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const servers: RunningServer[] = [];
async function serve(tasksDir: string, limits: Partial<ServerLimits> = {}): Promise<RunningServer> {
  const s = await startServer({ tasksDir, host: '127.0.0.1', port: 0, token: TOKEN, warmUp: false, limits });
  servers.push(s);
  return s;
}

let spec: TaskSpec;
let oneTaskDir: string;
let all: RunningServer;

before(async () => {
  spec = await dropoutTask();
  oneTaskDir = await mkdtemp(path.join(tmpdir(), 'rltask-envspec-tasks-'));
  await copyFile(DROPOUT_YAML, path.join(oneTaskDir, 'variance-dropout.yaml'));
  all = await serve(path.join(ROOT, 'tasks'));
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rm(oneTaskDir, { recursive: true, force: true });
});

describe('GET /health, /schema, /metadata', () => {
  it('/health answers OpenEnv\'s HealthResponse, behind the token like every route', async () => {
    const r = await fetch(`${all.url}/health`, { headers: AUTH });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'healthy' });
    assert.equal((await fetch(`${all.url}/health`)).status, 401);
  });

  it("/schema has OpenEnv's keys: the action (one shape per tool and submit), the observation and the state", async () => {
    const r = await fetch(`${all.url}/schema`, { headers: AUTH });
    assert.equal(r.status, 200);
    const body: unknown = await r.json();
    assert.ok(typeof body === 'object' && body !== null && 'action' in body && 'observation' in body && 'state' in body);
    assert.deepEqual(Object.keys(body).sort(), ['action', 'observation', 'state']);
    const text = JSON.stringify(body.action);
    for (const tool of ['list_files', 'read_file', 'write_file', 'str_replace', 'run_tests', 'submit']) assert.match(text, new RegExp(`"const":"${tool}"`));
    assert.match(JSON.stringify(body.state), /"step_count"/);
    assert.match(JSON.stringify(body.observation), /"is_error"/);
  });

  it("/metadata has OpenEnv's EnvironmentMetadata keys and names the served tasks", async () => {
    const r = await fetch(`${all.url}/metadata`, { headers: AUTH });
    assert.equal(r.status, 200);
    const body: unknown = await r.json();
    assert.ok(typeof body === 'object' && body !== null);
    assert.deepEqual(Object.keys(body).sort(), ['author', 'description', 'documentation_url', 'name', 'readme_content', 'version']);
    assert.match(JSON.stringify(body), /variance-dropout/);
  });
});

describe('WS /ws', () => {
  it('refuses the upgrade without the token', async () => {
    await assert.rejects(new Client(all.url, {}).opened, /401/);
  });

  it('reset observes the prompt, the files and the tools, with reward null and done false; state follows the episode', async () => {
    const c = await Client.open(all.url);
    assert.deepEqual((await c.ask({ type: 'state' })).data, { episode_id: null, step_count: 0, task: null, done: false });
    const { obs, dir } = await resetWithDir(c, { task: 'variance-dropout', episode_id: 'ep-1', seed: 7 });
    assert.equal(obs.reward, null);
    assert.equal(obs.done, false);
    assert.equal(obs.observation.prompt, spec.prompt);
    assert.deepEqual(obs.observation.files, spec.files.map((f) => f.path));
    const tools = obs.observation.tools;
    assert.ok(Array.isArray(tools));
    assert.deepEqual(
      tools.map((t: unknown) => (typeof t === 'object' && t !== null && 'name' in t ? t.name : undefined)),
      ['list_files', 'read_file', 'write_file', 'str_replace', 'run_tests', 'submit'],
    );
    assert.ok(await exists(path.join(dir, 'dropout.ts')));
    observation(await c.step({ tool: 'list_files' }));
    const state = await c.ask({ type: 'state' });
    assert.equal(state.type, 'state');
    assert.deepEqual(state.data, { episode_id: 'ep-1', step_count: 1, task: 'variance-dropout', done: false });

    // A second reset is a new episode in a new workspace; the old one is deleted.
    const again = await resetWithDir(c, { task: 'softplus' });
    assert.equal(await exists(dir), false);
    assert.notEqual(again.dir, dir);
    const s2 = (await c.ask({ type: 'state' })).data;
    assert.equal(s2.task, 'softplus');
    assert.equal(s2.step_count, 0);
    assert.match(String(s2.episode_id), /^[0-9a-f-]{36}$/);
    c.close();
    await c.closed;
    await eventually('the workspace is deleted after the socket closes', async () => !(await exists(again.dir)));
  });

  it("reset takes a variant's prompt; an unknown task or variant is VALIDATION_ERROR; unknown keys are dropped as OpenEnv drops them", async () => {
    const c = await Client.open(all.url);
    const v = observation(await c.reset({ task: 'variance-dropout', variant: 'formula', foo: 1, seed: null }));
    assert.equal(v.observation.prompt, spec.variants.formula?.prompt);
    const unknownTask = await c.reset({ task: 'nope' });
    assert.equal(errorCode(unknownTask), 'VALIDATION_ERROR');
    assert.match(String(unknownTask.data.message), /no task "nope".*variance-dropout/);
    const unknownVariant = await c.reset({ task: 'variance-dropout', variant: 'nope' });
    assert.equal(errorCode(unknownVariant), 'VALIDATION_ERROR');
    assert.match(String(unknownVariant.data.message), /default, formula/);
    assert.equal(errorCode(await c.reset({})), 'VALIDATION_ERROR', 'several tasks: reset must name one');
    assert.equal(errorCode(await c.reset({ task: 'variance-dropout', seed: -1 })), 'VALIDATION_ERROR');
    c.close();
  });

  it('runs each tool: read_file, write_file, str_replace, list_files, run_tests', { timeout: GRADE_TIMEOUT }, async () => {
    const c = await Client.open(all.url);
    const { dir } = await resetWithDir(c);
    const original = spec.files.find((f) => f.path === 'dropout.ts')?.content ?? '';
    const read = observation(await c.step({ tool: 'read_file', path: 'dropout.ts' }));
    assert.deepEqual(read.observation, { tool: 'read_file', output: original, is_error: false });
    assert.equal(read.reward, null);
    assert.equal(read.done, false);
    const write = observation(await c.step({ tool: 'write_file', path: 'notes/a.txt', content: 'one two' }));
    assert.equal(write.observation.is_error, false);
    const replace = observation(await c.step({ tool: 'str_replace', path: 'notes/a.txt', old: 'one', new: 'three' }));
    assert.equal(replace.observation.is_error, false);
    assert.equal(observation(await c.step({ tool: 'read_file', path: 'notes/a.txt' })).observation.output, 'three two');
    const missing = observation(await c.step({ tool: 'str_replace', path: 'notes/a.txt', old: 'absent', new: 'x' }));
    assert.equal(missing.observation.is_error, true);
    assert.match(String(observation(await c.step({ tool: 'list_files' })).observation.output), /notes\/a\.txt/);
    // A typed OpenEnv action dumps its metadata along with its fields.
    const tests = observation(await c.step({ tool: 'run_tests', metadata: {} }));
    assert.equal(tests.observation.tool, 'run_tests');
    assert.match(String(tests.observation.output), /visible tests (passed|FAILED)/);
    assert.equal((await c.ask({ type: 'state' })).data.step_count, 7);
    assert.ok(await exists(path.join(dir, 'notes/a.txt')));
    c.close();
  });

  it('a path outside the workspace is an is_error observation and nothing is read or written outside', async () => {
    const c = await Client.open(all.url);
    const { dir } = await resetWithDir(c);
    const name = `rltask-envspec-escape-${randomUUID()}`;
    const outside = path.join(path.dirname(dir), name);
    for (const action of [
      { tool: 'write_file', path: `../${name}`, content: 'x' },
      { tool: 'write_file', path: outside, content: 'x' },
      { tool: 'read_file', path: '/etc/passwd' },
      { tool: 'read_file', path: '../../../../etc/passwd' },
      { tool: 'str_replace', path: '/etc/passwd', old: 'root', new: 'x' },
    ]) {
      const o = observation(await c.step(action));
      assert.equal(o.observation.is_error, true, JSON.stringify(action));
      assert.doesNotMatch(String(o.observation.output), /root:/);
      assert.equal(o.done, false);
    }
    assert.equal(await exists(outside), false);
    c.close();
  });

  it('submit of the reference fix: reward 1, done, the grade in the observation; the workspace is deleted', { timeout: GRADE_TIMEOUT }, async () => {
    const c = await Client.open(all.url);
    const { dir } = await resetWithDir(c, { task: 'variance-dropout', episode_id: 'ref' });
    const reference = taskCases(spec).find((k) => k.kind === 'reference');
    assert.ok(reference !== undefined);
    const fixed = caseContents(spec, reference);
    for (const f of spec.files.filter((x) => x.role === 'editable')) {
      const w = observation(await c.step({ tool: 'write_file', path: f.path, content: fixed.get(f.path) ?? '' }));
      assert.equal(w.observation.is_error, false);
    }
    const result = observation(await c.step({ tool: 'submit' }));
    assert.equal(result.reward, 1);
    assert.equal(result.done, true);
    assert.equal(result.observation.tool, 'submit');
    assert.equal(result.observation.is_error, false);
    const grade = result.observation.grade;
    assert.ok(typeof grade === 'object' && grade !== null && 'status' in grade && 'provenance' in grade && 'workspace' in grade);
    assert.equal(grade.status, 'passed');
    assert.equal(grade.workspace, 'episode ref');
    assert.equal(await exists(dir), false);
    assert.deepEqual((await c.ask({ type: 'state' })).data, { episode_id: 'ref', step_count: 2, task: 'variance-dropout', done: true });
    assert.equal(errorCode(await c.step({ tool: 'list_files' })), 'SESSION_ERROR', 'no step after the episode is done');
    c.close();
  });

  it('submit of the planted bug: reward 0, done', { timeout: GRADE_TIMEOUT }, async () => {
    const c = await Client.open(all.url);
    await resetWithDir(c);
    const result = observation(await c.step({ tool: 'submit' }));
    assert.equal(result.reward, 0);
    assert.equal(result.done, true);
    const grade = result.observation.grade;
    assert.ok(typeof grade === 'object' && grade !== null && 'status' in grade);
    assert.equal(grade.status, 'failed');
    assert.match(String(result.observation.output), /^FAILED \(reward 0\)/);
    c.close();
  });

  it('a grade with status error is an EXECUTION_ERROR, never a reward; a full queue is one too; the episode goes on', async () => {
    const c = await Client.open(all.url);
    await resetWithDir(c);
    const ctx = all.context;
    const real = ctx.gradeDir;
    try {
      ctx.gradeDir = async (entry, _dir, o) => {
        const provenance = await ctx.provenance(entry, o.seed ?? entry.spec.grader.seed);
        return { workspace: 'w', task: entry.spec.id, taskVersion: 1, passed: false, reward: 0, status: 'error', feedback: 'sandbox died', output: '', checks: [], seed: 1, durationMs: 1, error: { code: 'E_INTERNAL', message: 'sandbox died' }, provenance };
      };
      const broke = await c.step({ tool: 'submit' });
      assert.equal(errorCode(broke), 'EXECUTION_ERROR');
      assert.match(String(broke.data.message), /grader broke.*not a verdict/);
      assert.equal(broke.data.retryable, true);
      ctx.gradeDir = async () => {
        throw new HttpError(429, 'the grading queue is full (3 grades waiting, --queue 3); retry later');
      };
      const full = await c.step({ tool: 'submit' });
      assert.equal(errorCode(full), 'EXECUTION_ERROR');
      assert.match(String(full.data.message), /queue is full.*submit again/);
    } finally {
      ctx.gradeDir = real;
    }
    assert.deepEqual({ ...(await c.ask({ type: 'state' })).data, episode_id: null }, { episode_id: null, step_count: 0, task: 'variance-dropout', done: false });
    assert.equal(observation(await c.step({ tool: 'list_files' })).done, false);
    c.close();
  });

  it('answers in order a client that does not wait for its replies, while a submit is in flight', async () => {
    const c = await Client.open(all.url);
    await resetWithDir(c);
    const ctx = all.context;
    const real = ctx.gradeDir;
    try {
      ctx.gradeDir = async () => {
        await new Promise((r) => setTimeout(r, 300));
        throw new HttpError(429, 'the grading queue is full; retry later');
      };
      c.sendRaw(JSON.stringify({ type: 'step', data: { tool: 'submit' } }));
      for (let i = 0; i < 30; i++) c.sendRaw(JSON.stringify({ type: 'step', data: { tool: 'read_file', path: 'dropout.ts' } }));
      assert.equal(errorCode(await c.next()), 'EXECUTION_ERROR');
      for (let i = 0; i < 30; i++) assert.equal(observation(await c.next()).observation.tool, 'read_file');
    } finally {
      ctx.gradeDir = real;
    }
    assert.equal((await c.ask({ type: 'state' })).data.step_count, 30);
    c.close();
  });

  it("answers OpenEnv's error codes: INVALID_JSON, UNKNOWN_TYPE, VALIDATION_ERROR, SESSION_ERROR (step before reset); the session stays open", async () => {
    const c = await Client.open(all.url);
    c.sendRaw('{not json');
    assert.equal(errorCode(await c.next()), 'INVALID_JSON');
    const unknown = await c.ask({ type: 'bogus' });
    assert.equal(errorCode(unknown), 'UNKNOWN_TYPE');
    assert.match(String(unknown.data.message), /Unknown message type: bogus/);
    assert.equal(errorCode(await c.ask({ data: {} })), 'UNKNOWN_TYPE');
    assert.equal(errorCode(await c.ask([1, 2])), 'VALIDATION_ERROR');
    assert.equal(errorCode(await c.step({ tool: 'list_files' })), 'SESSION_ERROR');
    await resetWithDir(c);
    for (const bad of [{ tool: 'read_file' }, { tool: 'rm', path: 'x' }, { tool: 'read_file', path: 'dropout.ts', extra: 1 }, { tool: 'str_replace', path: 'a', old: '', new: 'b' }, {}]) {
      const r = await c.step(bad);
      assert.equal(errorCode(r), 'VALIDATION_ERROR', JSON.stringify(bad));
      assert.ok(Array.isArray(r.data.errors), 'errors as OpenEnv sends them');
    }
    assert.equal(errorCode(await c.ask({ type: 'step', data: { tool: 'list_files' }, extra: true })), 'VALIDATION_ERROR');
    assert.equal(errorCode(await c.ask({ type: 'step' })), 'VALIDATION_ERROR');
    assert.equal((await c.ask({ type: 'state' })).data.step_count, 0, 'refused actions are not steps');
    c.close();
  });

  it('a close message ends the session: no reply, the socket closes and the workspace is deleted', async () => {
    const c = await Client.open(all.url);
    const { dir } = await resetWithDir(c);
    c.sendRaw(JSON.stringify({ type: 'close' }));
    assert.equal(await c.closed, 1000);
    assert.equal(await exists(dir), false);
  });

  it('a dropped connection deletes the workspace and the sessions gauge goes back down', async () => {
    const gauge = async (): Promise<number> => (await all.context.metrics.sessions.get()).values[0]?.value ?? 0;
    const before = await gauge();
    const c = await Client.open(all.url);
    const { dir } = await resetWithDir(c);
    assert.equal(await gauge(), before + 1);
    c.terminate();
    await eventually('the workspace is deleted', async () => !(await exists(dir)));
    await eventually('the gauge is back', async () => (await gauge()) === before);
  });
});

describe('WS /ws limits', () => {
  it('reset needs no task when the server serves one', async () => {
    const one = await serve(oneTaskDir);
    const c = await Client.open(one.url);
    const o = observation(await c.ask({ type: 'reset' }));
    assert.equal(o.observation.prompt, spec.prompt);
    c.close();
  });

  it('--max-sessions: a session beyond it gets CAPACITY_REACHED and is closed; a freed slot is taken again', async () => {
    const s = await serve(oneTaskDir, { maxSessions: 1 });
    const first = await Client.open(s.url);
    const second = await Client.open(s.url);
    const refused = await second.next();
    assert.equal(errorCode(refused), 'CAPACITY_REACHED');
    assert.equal(refused.data.active_sessions, 1);
    assert.equal(refused.data.max_sessions, 1);
    assert.equal(await second.closed, 1013);
    first.close();
    await first.closed;
    await eventually('a new session is accepted', async () => {
      const c = await Client.open(s.url);
      const m = await c.ask({ type: 'state' }).catch(() => undefined);
      c.close();
      await c.closed;
      return m?.type === 'state';
    });
  });

  it('--max-steps: the last step ends the episode with reward 0 and the reason; the workspace is deleted', async () => {
    const s = await serve(oneTaskDir, { maxSteps: 2 });
    const c = await Client.open(s.url);
    const { dir } = await resetWithDir(c);
    assert.equal(observation(await c.step({ tool: 'list_files' })).done, false);
    const last = observation(await c.step({ tool: 'read_file', path: 'dropout.ts' }));
    assert.equal(last.done, true);
    assert.equal(last.reward, 0);
    assert.match(String(last.observation.reason), /step limit \(2 steps\)/);
    assert.equal(last.observation.is_error, false);
    assert.equal(await exists(dir), false);
    assert.equal(errorCode(await c.step({ tool: 'submit' })), 'SESSION_ERROR');
    assert.deepEqual((await c.ask({ type: 'state' })).data.done, true);
    // A new episode on the same socket starts counting again.
    await resetWithDir(c);
    assert.equal(observation(await c.step({ tool: 'list_files' })).done, false);
    c.close();
  });

  it('--idle-seconds: an idle session is told why, closed, and its workspace deleted', async () => {
    const s = await serve(oneTaskDir, { idleMs: 1000 });
    const c = await Client.open(s.url);
    const { dir } = await resetWithDir(c);
    const notice = await c.next();
    assert.equal(errorCode(notice), 'SESSION_ERROR');
    assert.match(String(notice.data.message), /idle/);
    await c.closed;
    assert.equal(await exists(dir), false);
  });

  it('a draining server closes its sessions (going away) and deletes their workspaces', async () => {
    const s = await serve(oneTaskDir);
    const c = await Client.open(s.url);
    const { dir } = await resetWithDir(c);
    await s.drain();
    const notice = await c.next();
    assert.equal(errorCode(notice), 'SESSION_ERROR');
    assert.match(String(notice.data.message), /shutting down/);
    assert.equal(await c.closed, 1001);
    assert.equal(await exists(dir), false);
  });
});
