// Two `rltask serve` replicas behind nginx (the Debian package's binary, run by this test on loopback with its own
// configuration and prefix; the system service is never involved). One replica is SIGKILLed while grades are in
// flight: every submission must still be answered, by the other replica after a retry, and no submission may be
// reported with two different verdicts. CI installs nginx (.ci/run); without it this test fails, it is not skipped.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { caseContents, taskCases } from '../../src/grading/gradeCases.ts';
import { cleanupTmp, DROPOUT_YAML, dropoutTask, ROOT, tmp } from '../_helpers.ts';

const NGINX = '/usr/sbin/nginx';
/** Submissions sent through nginx, the reference fix and the bug alternating. */
const SUBMISSIONS = 30;
/** Replica A is killed once this many submissions have their verdict, with others still in flight. */
const KILL_AFTER = 6;
const IN_FLIGHT = 4;
const ATTEMPTS = 20;
/** Start-up (two warm-ups) and thirty grades on a loaded 2-core machine. */
const TIMEOUT = 480_000;

interface Process {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  output: string;
}

/**
 * A child in its own process group, so that killing the group also ends what it started (nginx's workers, the
 * replica's esbuild service) and nothing outlives the test.
 */
function start(name: string, command: string, args: readonly string[]): Process {
  const child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Process = { name, child, exited: new Promise((resolve) => child.once('exit', () => resolve())), output: '' };
  child.stdout?.on('data', (c: Buffer) => (p.output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (p.output += c.toString()));
  return p;
}

function killGroup(p: Process, signal: NodeJS.Signals): void {
  if (p.child.pid === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
  try {
    process.kill(-p.child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function stop(p: Process): Promise<void> {
  killGroup(p, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.exited, new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))]);
  clearTimeout(timer);
  killGroup(p, 'SIGKILL');
  await p.exited;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, ready: () => Promise<boolean>, ms: number, p?: Process): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
    if (await ready().catch(() => false)) return;
    if (p !== undefined && (p.child.exitCode !== null || p.child.signalCode !== null)) break;
  }
  throw new Error(`${what}: not within ${ms} ms${p === undefined ? '' : `\n--- ${p.name}'s output\n${p.output}`}`);
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(typeof address === 'object' && address !== null);
  return address.port;
}

/** A replica: `rltask serve --port 0 --no-auth`, its URL from the one line it prints. */
async function replica(name: string, tasksDir: string): Promise<{ process: Process; url: string }> {
  const p = start(name, process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/run.ts'), 'serve', '--port', '0', '--no-auth', '--tasks', tasksDir]);
  let url = '';
  await until(`${name} listening`, async () => {
    url = /^listening on (http:\/\/\S+)$/m.exec(p.output)?.[1] ?? '';
    return url !== '';
  }, 60_000, p);
  await until(`${name} ready`, async () => (await fetch(`${url}/readyz`)).status === 200, 180_000, p);
  return { process: p, url };
}

/**
 * The configuration documented in docs/serving.md ("Behind a load balancer"), with every path inside `dir`:
 * `daemon off` and `master_process off` keep nginx one child process of this test.
 */
function nginxConfig(dir: string, port: number, upstreams: readonly string[]): string {
  return `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;

  map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      '';
  }
  upstream rltask {
${upstreams.map((u) => `    server ${u} max_fails=1 fail_timeout=10s;`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 4m;
    location / {
      proxy_pass http://rltask;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_buffering off;
      proxy_read_timeout 600s;
      proxy_send_timeout 600s;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
}

/** The lines of an NDJSON body as they arrive; throws when the stream is cut. */
async function* ndjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() !== '') yield JSON.parse(line) as unknown;
    }
  }
}

function retryDelay(res: Response | undefined, attempt: number): number {
  const header = res?.headers.get('retry-after');
  if (header !== null && header !== undefined && /^\d+$/.test(header)) return Number(header) * 1000;
  return Math.min(5000, 100 * 2 ** attempt);
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

interface Submission {
  readonly id: string;
  readonly expect: 'passed' | 'failed';
  readonly files: Readonly<Record<string, string>>;
}

interface Verdict {
  readonly status: unknown;
  /** `$upstream_addr`: the replica that answered, after any nginx tried first. */
  readonly upstream: string;
}

interface Reply {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** An environment session through the proxy: one message, one reply; `upstream` is the replica holding it. */
class Session {
  readonly #ws: WebSocket;
  readonly #replies: Reply[] = [];
  readonly #waiting: ((m: Reply | undefined) => void)[] = [];
  readonly closed: Promise<number>;
  upstream = '';

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as Reply;
      const w = this.#waiting.shift();
      if (w === undefined) this.#replies.push(m);
      else w(m);
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        for (const w of this.#waiting.splice(0)) w(undefined);
        resolve(code);
      }),
    );
  }

  static async open(base: string): Promise<Session> {
    const session = new Session(new WebSocket(`${base.replace(/^http/, 'ws')}/ws`));
    session.#ws.once('upgrade', (res) => (session.upstream = String(res.headers['x-upstream'] ?? '')));
    await new Promise<void>((resolve, reject) => {
      session.#ws.once('open', () => resolve());
      session.#ws.once('error', reject);
    });
    return session;
  }

  ask(message: unknown): Promise<Reply> {
    this.#ws.send(JSON.stringify(message));
    const m = this.#replies.shift();
    if (m !== undefined) return Promise.resolve(m);
    return new Promise((resolve, reject) => this.#waiting.push((x) => (x === undefined ? reject(new Error('the socket closed')) : resolve(x))));
  }

  close(): void {
    this.#ws.close();
  }
}

let dir: string;
let replicas: { process: Process; url: string }[] = [];
let nginx: Process | undefined;
let lb: string;

before(async () => {
  await access(NGINX, constants.X_OK).catch(() => {
    throw new Error(`${NGINX} is missing: apt-get update && apt-get install -y nginx (.ci/run installs it; the test runs the binary itself and never the nginx service)`);
  });
  dir = await tmp('rltask-lb-');
  // One task in a directory of this test's own: a fast warm-up, and a path that marks every process it started.
  const tasksDir = path.join(dir, 'tasks');
  await mkdir(tasksDir);
  await copyFile(DROPOUT_YAML, path.join(tasksDir, path.basename(DROPOUT_YAML)));
  replicas = await Promise.all([replica('replica A', tasksDir), replica('replica B', tasksDir)]);
  const port = await freeLoopbackPort();
  await writeFile(path.join(dir, 'nginx.conf'), nginxConfig(dir, port, replicas.map((r) => new URL(r.url).host)));
  // -e: the error log from the first line on, before the configuration is read (not the package's /var/log/nginx).
  nginx = start('nginx', NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')]);
  lb = `http://127.0.0.1:${port}`;
  await until('nginx answering', async () => (await fetch(`${lb}/readyz`)).status === 200, 30_000, nginx);
});

after(async () => {
  await Promise.all([...(nginx === undefined ? [] : [stop(nginx)]), ...replicas.map((r) => stop(r.process))]);
  // Nothing this test started may outlive it: every one of its processes has `dir` on its command line.
  const left: string[] = [];
  for (const pid of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const [cmdline, stat] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')]);
    const zombie = / Z /.test(stat.slice(stat.lastIndexOf(')')));
    if (!zombie && dir !== undefined && cmdline.includes(dir)) left.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
  }
  await cleanupTmp();
  assert.deepEqual(left, [], 'processes left running');
});

describe('two replicas behind nginx', () => {
  it('a WebSocket session goes through nginx (the upgrade headers): the reference submitted, reward 1', { timeout: TIMEOUT }, async () => {
    const spec = await dropoutTask();
    const reference = caseContents(spec, taskCases(spec).find((c) => c.kind === 'reference')!).get('dropout.ts') ?? '';
    const session = await Session.open(lb);
    try {
      assert.ok(replicas.some((r) => session.upstream === new URL(r.url).host), `upstream ${session.upstream}`);
      assert.equal((await session.ask({ type: 'reset', data: { task: 'variance-dropout' } })).type, 'observation');
      assert.equal((await session.ask({ type: 'step', data: { tool: 'write_file', path: 'dropout.ts', content: reference } })).type, 'observation');
      const submitted = await session.ask({ type: 'step', data: { tool: 'submit' } });
      assert.equal(submitted.type, 'observation', JSON.stringify(submitted));
      assert.equal(submitted.data['reward'], 1);
      assert.equal(submitted.data['done'], true);
    } finally {
      session.close();
    }
  });

  it(`${SUBMISSIONS} grades through nginx, replica A SIGKILLed mid-run: every one answered, by B after a retry, one verdict per submission`, { timeout: TIMEOUT }, async (t) => {
    const spec = await dropoutTask();
    const contents = (kind: 'reference' | 'bug'): Record<string, string> => ({ 'dropout.ts': caseContents(spec, taskCases(spec).find((c) => c.kind === kind)!).get('dropout.ts') ?? '' });
    const submissions: Submission[] = Array.from({ length: SUBMISSIONS }, (_, i) => {
      const kind = i % 2 === 0 ? 'reference' : 'bug';
      return { id: `s${String(i).padStart(2, '0')}-${kind}`, expect: kind === 'reference' ? 'passed' : 'failed', files: contents(kind) };
    });
    // Singles and batches of three (NDJSON: a stream cut by the kill leaves some lines delivered and some not).
    const jobs: Submission[][] = [];
    for (let i = 0; i < submissions.length; ) {
      const size = jobs.length % 3 === 2 ? 3 : 1;
      jobs.push(submissions.slice(i, i + size));
      i += size;
    }

    const [a, b] = replicas;
    assert.ok(a !== undefined && b !== undefined);
    const hostA = new URL(a.url).host;
    const hostB = new URL(b.url).host;
    // Sessions opened before the kill (round robin spreads them): each lives and dies with its replica.
    const sessions = [await Session.open(lb), await Session.open(lb)];
    for (const session of sessions) assert.equal((await session.ask({ type: 'reset', data: { task: 'variance-dropout' } })).type, 'observation');
    const verdicts = new Map<string, Verdict[]>();
    let killed = false;
    let inFlightAtKill = 0;
    let inFlight = 0;
    let clientRetries = 0;
    let cutStreams = 0;
    const record = (id: string, status: unknown, upstream: string): void => {
      verdicts.set(id, [...(verdicts.get(id) ?? []), { status, upstream }]);
      if (!killed && verdicts.size >= KILL_AFTER) {
        killed = true;
        inFlightAtKill = inFlight;
        killGroup(a.process, 'SIGKILL');
      }
    };

    const post = async (route: string, body: unknown): Promise<Response | undefined> => {
      try {
        return await fetch(`${lb}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      } catch {
        return undefined;
      }
    };

    const grade = async (job: readonly Submission[]): Promise<void> => {
      const pending = new Map(job.map((s) => [s.id, s]));
      for (let attempt = 0; pending.size > 0; attempt++) {
        assert.ok(attempt < ATTEMPTS, `${[...pending.keys()].join(', ')}: no answer after ${ATTEMPTS} attempts`);
        let res: Response | undefined;
        if (attempt > 0) clientRetries++;
        if (job.length === 1) {
          const s = job[0]!;
          res = await post('/v1/grade', { task: 'variance-dropout', files: s.files });
          if (res?.status === 200) {
            const upstream = res.headers.get('x-upstream') ?? '';
            const answer = (await res.json().catch(() => undefined)) as { status?: unknown } | undefined;
            if (answer !== undefined) {
              record(s.id, answer.status, upstream);
              pending.delete(s.id);
              continue;
            }
          }
        } else {
          res = await post('/v1/grade/batch', { task: 'variance-dropout', submissions: [...pending.values()].map((s) => ({ id: s.id, files: s.files })) });
          if (res?.status === 200 && res.body !== null) {
            const upstream = res.headers.get('x-upstream') ?? '';
            try {
              for await (const line of ndjson(res.body)) {
                const r = line as { id: string; status: unknown };
                record(r.id, r.status, upstream);
                pending.delete(r.id);
              }
            } catch {
              // The replica died mid-stream: the submissions without a line are sent again.
              cutStreams++;
            }
            if (pending.size === 0) continue;
          }
        }
        if (res !== undefined && res.status !== 200 && !RETRY_STATUSES.has(res.status)) assert.fail(`HTTP ${res.status}: ${await res.text()}`);
        await res?.body?.cancel().catch(() => undefined);
        await sleep(retryDelay(res, attempt));
      }
    };

    const queue = [...jobs];
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
          inFlight++;
          try {
            await grade(job);
          } finally {
            inFlight--;
          }
        }
      }),
    );

    const report = [...verdicts].map(([id, vs]) => `${id}: ${vs.map((v) => `${String(v.status)} from ${v.upstream}`).join(' | ')}`).join('\n');
    assert.ok(killed, `replica A was never killed\n${report}`);
    assert.ok(inFlightAtKill > 0, 'the kill came with nothing in flight');
    await a.process.exited;
    assert.equal(a.process.child.signalCode, 'SIGKILL');
    // Every submission answered; each with exactly its expected verdict, however many times it was reported.
    assert.deepEqual([...verdicts.keys()].sort(), submissions.map((s) => s.id).sort(), report);
    for (const s of submissions) {
      const statuses = new Set(verdicts.get(s.id)?.map((v) => v.status));
      assert.deepEqual([...statuses], [s.expect], `${s.id}: ${report}`);
    }
    // Both replicas answered before the kill; afterwards nginx sent everything to B, directly or after A refused.
    const answeredBy = (host: string): number => [...verdicts.values()].flat().filter((v) => v.upstream.split(', ').at(-1) === host).length;
    assert.ok(answeredBy(hostA) > 0, `A answered nothing\n${report}`);
    assert.ok(answeredBy(hostB) > 0, `B answered nothing\n${report}`);
    // The kill was felt: a request nginx passed on from A to B, or one the client sent again.
    const passedOn = [...verdicts.values()].flat().filter((v) => v.upstream.includes(', ')).length;
    assert.ok(passedOn + clientRetries > 0, `no request was passed on or retried\n${report}`);
    const reported = [...verdicts.values()].reduce((n, vs) => n + vs.length, 0);
    t.diagnostic(`${inFlightAtKill} jobs in flight at the kill; ${clientRetries} client retries; ${cutStreams} batch streams cut; ${passedOn} requests passed on by nginx; ${reported} verdict lines for ${verdicts.size} submissions; answered by A ${answeredBy(hostA)}, by B ${answeredBy(hostB)}`);
    // A session on A ended with its replica (no close frame: 1006); one on B goes on; a new one lands on B.
    for (const session of sessions) {
      if (session.upstream === hostA) assert.equal(await session.closed, 1006);
      else {
        assert.equal(session.upstream, hostB);
        const state = await session.ask({ type: 'state' });
        assert.equal(state.type, 'state');
        assert.equal(state.data['task'], 'variance-dropout');
        session.close();
      }
    }
    const fresh = await Session.open(lb);
    try {
      assert.equal(fresh.upstream.split(', ').at(-1), hostB);
      assert.equal((await fresh.ask({ type: 'reset', data: { task: 'variance-dropout' } })).type, 'observation');
    } finally {
      fresh.close();
    }
    t.diagnostic(`sessions before the kill on ${sessions.map((x) => (x.upstream === hostA ? 'A' : 'B')).join(' and ')}`);
    // A grade on B is still right after the kill: the stream ends with B serving alone.
    const res = await fetch(`${lb}/v1/grade`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: 'variance-dropout', files: contents('reference') }) });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'passed');
    assert.equal(res.headers.get('x-upstream')?.split(', ').at(-1), hostB);
  });
});
