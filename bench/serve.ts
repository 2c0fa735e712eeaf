/**
 * `npm run bench:serve [-- --quick] [--concurrency K] [--soak N] [--out FILE]`: what `rltask serve` costs next to
 * the CLI, with every figure also given as a ratio to `node -e 0` (t₀) measured in the same run (absolute times on
 * a shared machine drift). The server is the production entry, `bin/rltask.js serve --port 0 --concurrency K
 * --no-auth` on the build in dist/ (rebuilt first, as `npm run bench` does), in a child process; this process is
 * its HTTP client (node:http, keep-alive) and reads its /proc.
 *
 * 1. Batch: the same 40 workspaces of the dropout task (10 reference, 10 bug, 20 of its decoys) graded by one
 *    `bin/rltask.js grade … --json --concurrency K` call and by one `POST /v1/grade/batch` (NDJSON) to a warm
 *    server with `--concurrency K`, alternating, every check and then `failFast`; grades/s, the server's overhead,
 *    the CPU of each process tree, and every verdict checked (the server's feedback must equal the CLI's).
 * 2. Latency: p50/p99 of `POST /v1/grade` with 2, 8 and 32 clients, each sending a fixed number of requests one
 *    after the other, `failFast: true`, three in four the planted bug (refused by the static check `uses-sqrt`: no
 *    sandbox) and one in four the reference (every check, a sandbox).
 * 3. Per task: each served task's reference (every check) graded alone, the median of two grades after an
 *    unmeasured one: the wall time, the CPU of the server's process tree and of its main thread, for the spread of
 *    grade costs across tasks.
 * 4. Soak: N grades (default 2,000) through a fresh server, from 2K clients: 90 % as single `POST /v1/grade`, 10 %
 *    in batches of 20, all `failFast: true`, in cycles of 20 submissions (16 × the bug and 1 × a file that does not
 *    compile, both decided without a sandbox; 2 × a decoy that fails its first property in a sandbox; 1 × the
 *    reference). The server's VmRSS, open fds and descendant processes are read before, every 50 grades, and after;
 *    the RSS slope is a least-squares fit over the second half.
 *
 * Prints a table and the summary, and writes the figures as JSON to `--out FILE` (`-`: stdout), by default to
 * bench/.results/serve-<start time>.json (git-ignored).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { caseContents, type TaskCase, taskCases } from '../src/grading/gradeCases.ts';
import { loadTask, type TaskSpec } from '../src/task/loadTask.ts';
import { initWorkspace } from '../src/workspace/initWorkspace.ts';
import { descendants, openFds, rssKb, TreeMeter } from './_procTree.ts';
import { type Figure, median, nodeE0, printTable, run, writeResults } from './_timing.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TASK = path.join(ROOT, 'tasks/variance-dropout.yaml');
const TASKS_DIR = path.join(ROOT, 'tasks');
const BIN = path.join(ROOT, 'bin/rltask.js');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: String(os.availableParallelism()) },
    soak: { type: 'string' },
    out: { type: 'string' },
  },
});
const quick = values.quick === true;
const K = z.coerce.number().int().min(1).max(256).parse(values.concurrency);
const SOAK = z.coerce.number().int().min(100).max(1_000_000).parse(values.soak ?? (quick ? '200' : '2000'));
const out = values.out;
/** Rounds of the batch comparison (each: the CLI and the server, in alternating order). */
const ROUNDS = quick ? 1 : 3;
/** Clients of the latency figure → requests each. */
const LATENCY_LEVELS: readonly (readonly [clients: number, each: number])[] = quick ? [[2, 4], [8, 2], [32, 1]] : [[2, 24], [8, 8], [32, 4]];
const SAMPLE_EVERY = 50;

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const loadNow = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');

// ---------------------------------------------------------------------------------------------------------------
// Submissions

type Files = Readonly<Record<string, string>>;
interface Submission {
  readonly name: string;
  readonly expect: 'passed' | 'failed';
  readonly files: Files;
}

function submissionOf(spec: TaskSpec, c: TaskCase): Submission {
  return { name: c.name, expect: c.expect === 'pass' ? 'passed' : 'failed', files: Object.fromEntries(caseContents(spec, c)) };
}

/** The 40 of the batch comparison: 10 × the reference, 10 × the bug, 20 decoys spread over the task's list. */
function batchMix(spec: TaskSpec): Submission[] {
  const cases = taskCases(spec);
  const decoys = cases.filter((c) => c.kind === 'decoy');
  const one = (kind: TaskCase['kind']): TaskCase => cases.find((c) => c.kind === kind)!;
  const picked = [
    ...Array.from({ length: 10 }, () => one('reference')),
    ...Array.from({ length: 10 }, () => one('bug')),
    ...Array.from({ length: 20 }, (_, i) => decoys[Math.floor((i * decoys.length) / 20)]!),
  ];
  // Interleaved (a stride coprime with 40), so that the reference, the bug and the decoys come throughout the batch.
  return picked.map((_, i) => submissionOf(spec, picked[(i * 23) % picked.length]!));
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP (node:http with an agent of our own, so that its keep-alive sockets can be closed before reading fds)

interface Reply {
  readonly status: number;
  readonly body: string;
}

function request(agent: http.Agent, url: string, method: 'GET' | 'POST', body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(url, { method, agent, headers: data === undefined ? {} : { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

const gradeLine = z.looseObject({ status: z.enum(['passed', 'failed', 'error']), feedback: z.string(), workspace: z.string() });

// ---------------------------------------------------------------------------------------------------------------
// The server in a child process

interface Server {
  readonly url: string;
  readonly pid: number;
  readonly agent: http.Agent;
  /** SIGTERM (it drains), then its exit code. */
  stop(): Promise<number | null>;
}

async function startServe(): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--concurrency', String(K), '--no-auth', '--tasks', TASKS_DIR], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  // One JSON line per request: read (a full pipe would block the server) and keep only the end.
  child.stderr!.on('data', (c: Buffer) => void (stderr = (stderr + c.toString('utf8')).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    return await ready(child, exited, () => stderr);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}

/** Wait for `rltask serve`'s "listening on" line, then for /readyz to answer 200. */
async function ready(child: ChildProcess, exited: Promise<number | null>, stderrTail: () => string): Promise<Server> {
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      const m = /listening on (\S+)/.exec(stdout);
      if (m !== null) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`rltask serve exited (${code}) before listening:\n${stderrTail()}`)));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const deadline = Date.now() + 180_000;
  for (;;) {
    const r = await request(agent, `${url}/readyz`, 'GET').catch(() => ({ status: 0, body: '' }));
    if (r.status === 200) break;
    if (Date.now() > deadline) {
      agent.destroy();
      throw new Error(`rltask serve not ready after 180 s: ${r.body}\n${stderrTail()}`);
    }
    await sleep(200);
  }
  return {
    url,
    pid: child.pid!,
    agent,
    stop: async () => {
      agent.destroy();
      child.kill('SIGTERM');
      return exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Figures

/** Nearest-rank percentile. */
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

function figure(group: string, name: string, samples: readonly number[], extra?: Figure['extra']): Figure {
  return { group, name, medianMs: median(samples), minMs: Math.min(...samples), maxMs: Math.max(...samples), samples: samples.length, ...(extra === undefined ? {} : { extra }) };
}

// ---------------------------------------------------------------------------------------------------------------
// 1. The batch: CLI against POST /v1/grade/batch

interface BatchRun {
  readonly ms: number;
  /** CPU of the grading process tree (the CLI or the server, its sandboxes, esbuild). */
  readonly cpuMs: number;
  /** CPU of the grading process's main thread (its JavaScript: the checks, the properties, HTTP). */
  readonly mainMs: number;
  readonly verdicts: ReadonlyMap<string, { status: string; feedback: string }>;
}

async function cliBatch(dirs: readonly string[], failFast: boolean): Promise<BatchRun> {
  const args = [BIN, 'grade', TASK, ...dirs, '--json', '--concurrency', String(K), ...(failFast ? ['--fail-fast'] : [])];
  const t = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const meter = new TreeMeter(child.pid!);
  meter.start();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => void (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => void (stderr += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const ms = performance.now() - t;
  const { cpuMs, mainThreadCpuMs: mainMs } = meter.stop();
  if (code !== 0 && code !== 1) throw new Error(`rltask grade exited ${code}: ${stderr.slice(0, 500)}`);
  const verdicts = new Map<string, { status: string; feedback: string }>();
  for (const line of stdout.trim().split('\n')) {
    const g = gradeLine.parse(JSON.parse(line));
    verdicts.set(path.basename(g.workspace), { status: g.status, feedback: g.feedback });
  }
  return { ms, cpuMs, mainMs, verdicts };
}

async function serverBatch(server: Server, subs: readonly { id: string; files: Files }[], failFast: boolean): Promise<BatchRun> {
  const meter = new TreeMeter(server.pid);
  meter.start();
  const t = performance.now();
  const r = await request(server.agent, `${server.url}/v1/grade/batch`, 'POST', { task: 'variance-dropout', submissions: subs, failFast });
  const ms = performance.now() - t;
  const { cpuMs, mainThreadCpuMs: mainMs } = meter.stop();
  if (r.status !== 200) throw new Error(`POST /v1/grade/batch: ${r.status} ${r.body.slice(0, 500)}`);
  const verdicts = new Map<string, { status: string; feedback: string }>();
  for (const line of r.body.trim().split('\n')) {
    const g = gradeLine.parse(JSON.parse(line));
    verdicts.set(g.workspace, { status: g.status, feedback: g.feedback });
  }
  return { ms, cpuMs, mainMs, verdicts };
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = new Date();
  const cpuAtStart = process.cpuUsage();
  const loads: Record<string, string> = { start: loadNow() };
  const built = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/build.ts')], ROOT);
  if (built.code !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
  const spec = await loadTask(TASK);
  const cases = taskCases(spec);
  const byName = new Map(cases.map((c) => [c.name, submissionOf(spec, c)]));
  const figures: Figure[] = [];
  const problems: string[] = [];
  log(`rltask bench:serve — ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, --concurrency ${K}, load ${loads['start']}`);

  const t0a = await nodeE0(quick ? 5 : 15);
  figures.push(t0a);
  log(`t₀ = node -e 0: ${t0a.medianMs.toFixed(1)} ms`);

  // The 40 workspaces on disk for the CLI, the same files in the body for the server.
  const mix = batchMix(spec);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'rltask-bench-serve-'));
  const ids = mix.map((s, i) => `${String(i + 1).padStart(2, '0')}-${s.name}`);
  const dirs = ids.map((id) => path.join(scratch, id));
  await Promise.all(mix.map((s, i) => initWorkspace(spec, dirs[i]!, { contents: new Map(Object.entries(s.files)) })));
  const subs = mix.map((s, i) => ({ id: ids[i]!, files: s.files }));
  const expected = new Map(mix.map((s, i) => [ids[i]!, s.expect]));

  const server = await startServe().catch(async (e: unknown) => {
    await rm(scratch, { recursive: true, force: true });
    throw e;
  });
  const results: Record<string, unknown> = {};
  try {
    log(`server ${server.url} (pid ${server.pid}) ready`);
    // ---- 1. batch
    const batch: Record<string, unknown> = {};
    for (const failFast of [false, true]) {
      const label = failFast ? 'failFast' : 'every check';
      // Unmeasured: the server's first batch compiles its grading code; the CLI's first call fills the page cache.
      if (!quick && !failFast) {
        await cliBatch(dirs, failFast);
        await serverBatch(server, subs, failFast);
      }
      const cli: BatchRun[] = [];
      const srv: BatchRun[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        // Alternating (the machine's speed drifts within a minute): CLI first in even rounds, the server in odd ones.
        const pair = r % 2 === 0 ? [() => cliBatch(dirs, failFast), () => serverBatch(server, subs, failFast)] : [() => serverBatch(server, subs, failFast), () => cliBatch(dirs, failFast)];
        const [a, b] = [await pair[0]!(), await pair[1]!()];
        const [c, s] = r % 2 === 0 ? [a, b] : [b, a];
        cli.push(c);
        srv.push(s);
        log(`batch (${label}) round ${r + 1}: CLI ${(c.ms / 1000).toFixed(2)} s, server ${(s.ms / 1000).toFixed(2)} s`);
        for (const id of ids) {
          const want = expected.get(id);
          const cv = c.verdicts.get(id);
          const sv = s.verdicts.get(id);
          if (cv?.status !== want) problems.push(`batch ${label} CLI ${id}: expected ${want}, got ${cv?.status ?? 'nothing'}`);
          if (sv?.status !== want) problems.push(`batch ${label} server ${id}: expected ${want}, got ${sv?.status ?? 'nothing'}`);
          if (cv !== undefined && sv !== undefined && cv.feedback !== sv.feedback) problems.push(`batch ${label} ${id}: feedback differs: CLI "${cv.feedback.slice(0, 80)}", server "${sv.feedback.slice(0, 80)}"`);
        }
      }
      const cliMs = median(cli.map((x) => x.ms));
      const srvMs = median(srv.map((x) => x.ms));
      const paired = median(cli.map((c, i) => srv[i]!.ms / c.ms));
      const cliCpu = median(cli.map((x) => x.cpuMs));
      const srvCpu = median(srv.map((x) => x.cpuMs));
      const srvMain = median(srv.map((x) => x.mainMs));
      const group = `batch: 40 dropout workspaces, ${label}, --concurrency ${K}`;
      figures.push(figure(group, `CLI: grade 40 workspaces --json${failFast ? ' --fail-fast' : ''}, one call`, cli.map((x) => x.ms), { gradesPerSecond: 40 / (cliMs / 1000), cpuMsPerGrade: cliCpu / 40 }));
      figures.push(figure(group, `server: POST /v1/grade/batch, 40 submissions${failFast ? ', failFast' : ''}`, srv.map((x) => x.ms), { gradesPerSecond: 40 / (srvMs / 1000), cpuMsPerGrade: srvCpu / 40, mainThreadMsPerGrade: srvMain / 40, overheadPct: (srvMs / cliMs - 1) * 100, pairedOverheadPct: (paired - 1) * 100 }));
      batch[failFast ? 'failFast' : 'everyCheck'] = {
        cli: { medianMs: cliMs, gradesPerSecond: 40 / (cliMs / 1000), cpuMsPerGrade: cliCpu / 40, runs: cli.map((x) => ({ ms: x.ms, cpuMs: x.cpuMs, mainMs: x.mainMs })) },
        server: { medianMs: srvMs, gradesPerSecond: 40 / (srvMs / 1000), cpuMsPerGrade: srvCpu / 40, mainThreadMsPerGrade: srvMain / 40, runs: srv.map((x) => ({ ms: x.ms, cpuMs: x.cpuMs, mainMs: x.mainMs })) },
        overheadPct: (srvMs / cliMs - 1) * 100,
        pairedOverheadPct: (paired - 1) * 100,
      };
    }
    results['batch'] = batch;
    loads['afterBatch'] = loadNow();

    // ---- 2. latency of POST /v1/grade
    const bug = byName.get('bug')!;
    const reference = byName.get('reference')!;
    const latencyMix = [bug, bug, bug, reference];
    const grade = async (s: Submission, seed?: number): Promise<{ ms: number; ok: boolean; status: string }> => {
      const t = performance.now();
      const r = await request(server.agent, `${server.url}/v1/grade`, 'POST', { task: 'variance-dropout', files: s.files, failFast: true, ...(seed === undefined ? {} : { seed }) });
      const ms = performance.now() - t;
      const status = r.status === 200 ? gradeLine.parse(JSON.parse(r.body)).status : `HTTP ${r.status}`;
      return { ms, ok: status === s.expect, status };
    };
    for (const s of latencyMix) await grade(s); // unmeasured
    const latency: Record<string, unknown>[] = [];
    for (const [clients, each] of LATENCY_LEVELS) {
      const all: number[] = [];
      const byKind: Record<string, number[]> = { bug: [], reference: [] };
      const meter = new TreeMeter(server.pid);
      meter.start();
      const t = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          for (let j = 0; j < each; j++) {
            const s = latencyMix[(c + j) % latencyMix.length]!;
            const r = await grade(s);
            if (!r.ok) problems.push(`latency ${clients} clients: ${s.name} got ${r.status}`);
            all.push(r.ms);
            byKind[s.name]!.push(r.ms);
          }
        }),
      );
      const wall = performance.now() - t;
      const { cpuMs, mainThreadCpuMs, peakRssKb } = meter.stop();
      const row = {
        clients,
        requestsEach: each,
        requests: all.length,
        p50Ms: percentile(all, 0.5),
        p99Ms: percentile(all, 0.99),
        maxMs: Math.max(...all),
        bugP50Ms: percentile(byKind['bug']!, 0.5),
        referenceP50Ms: percentile(byKind['reference']!, 0.5),
        gradesPerSecond: all.length / (wall / 1000),
        cpuMsPerGrade: cpuMs / all.length,
        mainThreadMsPerGrade: mainThreadCpuMs / all.length,
        peakTreeRssMb: peakRssKb / 1024,
      };
      latency.push(row);
      figures.push(
        figure(`latency: POST /v1/grade, failFast, 3 bug : 1 reference, --concurrency ${K}`, `${clients} clients × ${each} requests`, all, {
          p50Ms: row.p50Ms,
          p99Ms: row.p99Ms,
          bugP50Ms: row.bugP50Ms,
          referenceP50Ms: row.referenceP50Ms,
          gradesPerSecond: row.gradesPerSecond,
          cpuMsPerGrade: row.cpuMsPerGrade,
          peakTreeRssMb: row.peakTreeRssMb,
        }),
      );
      log(`latency, ${clients} clients × ${each}: p50 ${row.p50Ms.toFixed(0)} ms, p99 ${row.p99Ms.toFixed(0)} ms, ${row.gradesPerSecond.toFixed(1)} grades/s`);
    }
    results['latency'] = latency;
    loads['afterLatency'] = loadNow();

    // ---- 3. each task's reference, one grade at a time
    const perTask: Record<string, unknown>[] = [];
    const taskFiles = readdirSync(TASKS_DIR).filter((f) => f.endsWith('.yaml')).sort();
    for (const file of taskFiles) {
      const tspec = await loadTask(path.join(TASKS_DIR, file));
      const ref = submissionOf(tspec, taskCases(tspec).find((c) => c.kind === 'reference')!);
      const once = async (): Promise<{ ms: number; cpuMs: number; mainMs: number }> => {
        const meter = new TreeMeter(server.pid);
        meter.start();
        const t = performance.now();
        const r = await request(server.agent, `${server.url}/v1/grade`, 'POST', { task: tspec.id, files: ref.files });
        const ms = performance.now() - t;
        const { cpuMs, mainThreadCpuMs: mainMs } = meter.stop();
        const status = r.status === 200 ? gradeLine.parse(JSON.parse(r.body)).status : `HTTP ${r.status}`;
        if (status !== 'passed') problems.push(`${tspec.id} reference: ${status}`);
        return { ms, cpuMs, mainMs };
      };
      if (!quick) await once(); // unmeasured: the task's first grade in this server
      const runs = [];
      for (let i = 0; i < (quick ? 1 : 2); i++) runs.push(await once());
      const row = { task: tspec.id, ms: median(runs.map((r) => r.ms)), cpuMs: median(runs.map((r) => r.cpuMs)), mainThreadMs: median(runs.map((r) => r.mainMs)) };
      perTask.push(row);
      figures.push(figure('per task: POST /v1/grade of the reference, every check, alone', tspec.id, runs.map((r) => r.ms), { cpuMs: row.cpuMs, mainThreadMs: row.mainThreadMs }));
      log(`${tspec.id} reference: ${row.ms.toFixed(0)} ms, CPU ${row.cpuMs.toFixed(0)} ms (main thread ${row.mainThreadMs.toFixed(0)} ms)`);
    }
    results['perTask'] = perTask;
    loads['afterPerTask'] = loadNow();
  } finally {
    const code = await server.stop();
    if (code !== 0) problems.push(`the server exited ${code} after SIGTERM`);
    await rm(scratch, { recursive: true, force: true });
  }

  // ---- 4. soak, through a fresh server
  {
    const soakServer = await startServe();
    try {
      const broken: Submission = { name: 'syntax-error', expect: 'failed', files: { ...byName.get('bug')!.files, [spec.grader.subject.file]: 'export class VarianceStabilizedDropout {' } };
      const cycle: Submission[] = [
        ...Array.from({ length: 16 }, () => byName.get('bug')!),
        broken,
        byName.get('inverse-sqrt-p')!,
        byName.get('few-percent-off')!,
        byName.get('reference')!,
      ];
      // The work: 9 singles in 10 grades, then a batch of 20; the submissions follow the cycle in order.
      type Unit = { readonly kind: 'single'; readonly sub: Submission } | { readonly kind: 'batch'; readonly subs: readonly Submission[] };
      const units: Unit[] = [];
      let n = 0;
      while (n < SOAK) {
        const block = Math.min(200, SOAK - n);
        const singles = block - Math.min(20, Math.floor(block / 10));
        for (let i = 0; i < singles; i++) units.push({ kind: 'single', sub: cycle[(n + i) % cycle.length]! });
        const batchSize = block - singles;
        if (batchSize > 0) units.push({ kind: 'batch', subs: Array.from({ length: batchSize }, (_, i) => cycle[(n + singles + i) % cycle.length]!) });
        n += block;
      }
      await sleep(1000);
      const sample = (done: number): { done: number; rssKb: number; fds: number; children: number; t: number } => ({
        done,
        rssKb: rssKb(soakServer.pid),
        fds: openFds(soakServer.pid).count,
        children: descendants(soakServer.pid).length,
        t: performance.now(),
      });
      // Before: ready (its warm-up grade done), idle, no client connection open.
      soakServer.agent.destroy();
      await sleep(500);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
      const before = { ...sample(0), fdKinds: openFds(soakServer.pid).kinds, childList: descendants(soakServer.pid).map((p) => p.comm) };
      log(`soak: ${SOAK} grades; before: RSS ${(before.rssKb / 1024).toFixed(1)} MB, ${before.fds} fds, ${before.children} children (${before.childList.join(', ')})`);
      const samples = [before as ReturnType<typeof sample>];
      let done = 0;
      let nextSample = SAMPLE_EVERY;
      let errors = 0;
      let wrong = 0;
      let peakChildren = 0;
      const statusCount: Record<string, number> = {};
      const count = (k: number, statuses: readonly { status: string; expect: string }[]): void => {
        for (const s of statuses) {
          statusCount[s.status] = (statusCount[s.status] ?? 0) + 1;
          if (s.status === 'error' || s.status.startsWith('HTTP')) errors++;
          else if (s.status !== s.expect) wrong++;
        }
        done += k;
        while (done >= nextSample) {
          const s = sample(done);
          peakChildren = Math.max(peakChildren, s.children);
          samples.push(s);
          nextSample += SAMPLE_EVERY;
        }
      };
      const meter = new TreeMeter(soakServer.pid);
      meter.start();
      const t = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 2 * K }, async () => {
          for (let u = units[next++]; u !== undefined; u = units[next++]) {
            if (u.kind === 'single') {
              const r = await request(agent, `${soakServer.url}/v1/grade`, 'POST', { task: spec.id, files: u.sub.files, failFast: true });
              count(1, [{ status: r.status === 200 ? gradeLine.parse(JSON.parse(r.body)).status : `HTTP ${r.status}`, expect: u.sub.expect }]);
            } else {
              const r = await request(agent, `${soakServer.url}/v1/grade/batch`, 'POST', { task: spec.id, submissions: u.subs.map((s, i) => ({ id: `s${i}`, files: s.files })), failFast: true });
              const lines = r.status === 200 ? r.body.trim().split('\n').map((l) => gradeLine.parse(JSON.parse(l))) : [];
              count(u.subs.length, u.subs.map((s, i) => ({ status: r.status !== 200 ? `HTTP ${r.status}` : (lines.find((l) => l.workspace === `s${i}`)?.status ?? 'missing'), expect: s.expect })));
            }
          }
        }),
      );
      const wall = performance.now() - t;
      const { cpuMs, mainThreadCpuMs, peakRssKb } = meter.stop();
      agent.destroy();
      await sleep(2000);
      const after = { ...sample(done), fdKinds: openFds(soakServer.pid).kinds, childList: descendants(soakServer.pid).map((p) => p.comm) };
      const secondHalf = samples.filter((s) => s.done >= SOAK / 2).map((s) => ({ x: s.done, y: s.rssKb }));
      const rssSlope = slope(secondHalf) * 100;
      const wholeSlope = slope(samples.filter((s) => s.done > 0).map((s) => ({ x: s.done, y: s.rssKb }))) * 100;
      if (errors > 0 || wrong > 0) problems.push(`soak: ${errors} errors, ${wrong} wrong verdicts`);
      if (after.children !== before.children) problems.push(`soak: ${before.children} children before, ${after.children} after (${after.childList.join(', ')})`);
      if (after.fds !== before.fds) problems.push(`soak: ${before.fds} fds before, ${after.fds} after`);
      results['soak'] = {
        grades: done,
        clients: 2 * K,
        wallMs: wall,
        gradesPerSecond: done / (wall / 1000),
        cpuMsPerGrade: cpuMs / done,
        mainThreadMsPerGrade: mainThreadCpuMs / done,
        peakTreeRssMb: peakRssKb / 1024,
        statuses: statusCount,
        errors,
        wrong,
        before,
        after,
        peakChildren,
        rssSlopeKbPer100SecondHalf: rssSlope,
        rssSlopeKbPer100Whole: wholeSlope,
        samples,
      };
      figures.push(
        figure(`soak: ${done} grades, failFast, ${2 * K} clients, --concurrency ${K}`, `${done} grades (90 % single, 10 % batches of 20)`, [wall], {
          gradesPerSecond: done / (wall / 1000),
          cpuMsPerGrade: cpuMs / done,
          mainThreadMsPerGrade: mainThreadCpuMs / done,
          rssSlopeKbPer100: rssSlope,
          rssBeforeMb: before.rssKb / 1024,
          rssAfterMb: after.rssKb / 1024,
          fds: `${before.fds} → ${after.fds}`,
          children: `${before.children} → ${after.children}`,
        }),
      );
      log(`soak: ${done} grades in ${(wall / 1000).toFixed(1)} s; RSS ${(before.rssKb / 1024).toFixed(1)} → ${(after.rssKb / 1024).toFixed(1)} MB, slope ${rssSlope.toFixed(1)} KB/100 grades (2nd half); fds ${before.fds} → ${after.fds}; children ${before.children} → ${after.children}`);
    } finally {
      const code = await soakServer.stop();
      if (code !== 0) problems.push(`the soak server exited ${code} after SIGTERM`);
      loads['afterSoak'] = loadNow();
    }
  }

  const t0b = await nodeE0(quick ? 5 : 15);
  figures.push({ ...t0b, name: 'node -e 0 (t₀), again at the end' });
  const t0 = (t0a.medianMs + t0b.medianMs) / 2;
  loads['end'] = loadNow();

  const rows = figures.map((f) => ({ ...f, ratio: f.medianMs / t0 }));
  printTable(rows, t0);
  const b = results['batch'] as Record<'everyCheck' | 'failFast', { cli: { gradesPerSecond: number; cpuMsPerGrade: number }; server: { gradesPerSecond: number; cpuMsPerGrade: number; mainThreadMsPerGrade: number }; overheadPct: number; pairedOverheadPct: number }>;
  const sizing = [
    sizingTable('dropout, 40-workspace mix, every check', b.everyCheck.server.cpuMsPerGrade, b.everyCheck.server.mainThreadMsPerGrade),
    sizingTable('dropout, 40-workspace mix, failFast', b.failFast.server.cpuMsPerGrade, b.failFast.server.mainThreadMsPerGrade),
  ];
  const clientCpu = process.cpuUsage(cpuAtStart);
  const lines = [
    '',
    `t₀ (node -e 0, the median of the start and the end of this run): ${t0.toFixed(1)} ms; load average ${Object.entries(loads).map(([k, v]) => `${k} ${v}`).join('; ')}`,
    ...(['everyCheck', 'failFast'] as const).map(
      (k) =>
        `batch of 40 (${k}): CLI ${b[k].cli.gradesPerSecond.toFixed(1)} grades/s, server ${b[k].server.gradesPerSecond.toFixed(1)} grades/s: overhead ${b[k].overheadPct.toFixed(1)} % (paired ${b[k].pairedOverheadPct.toFixed(1)} %) → ${b[k].pairedOverheadPct <= 10 ? 'within' : 'OVER'} 10 %; CPU per grade CLI ${b[k].cli.cpuMsPerGrade.toFixed(0)} ms, server ${b[k].server.cpuMsPerGrade.toFixed(0)} ms`,
    ),
    ...sizing.map(
      (z) =>
        `sizing, ${z.mix} (${z.cpuMsPerGrade.toFixed(0)} ms CPU, ${z.mainThreadMsPerGrade.toFixed(0)} ms on the server's main thread per grade; at ${UTILIZATION * 100} % CPU): ` +
        `a replica of ${Object.entries(z.perReplica).map(([k, g]) => `${k} ${g.toFixed(1)}`).join(', ')} grades/s; ` +
        z.rows.map((r) => `${r.gradesPerSecond}/s → ${r.cores} cores = ${Object.entries(r.replicas).map(([k, n]) => `${n} × ${k}`).join(' or ')}`).join('; '),
    ),
    `this process (the HTTP clients and the /proc polls) used ${((clientCpu.user + clientCpu.system) / 1e6).toFixed(1)} s of CPU on the same cores`,
    problems.length === 0 ? 'every verdict right, no leak' : `PROBLEMS:\n  ${problems.slice(0, 20).join('\n  ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  await writeResults({ date: started.toISOString(), machine: { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? null, node: process.version, platform: `${os.platform()} ${os.release()}` }, loads, quick, concurrency: K, t0Ms: t0, figures: rows, ...results, sizing, clientCpuMs: (clientCpu.user + clientCpu.system) / 1000, problems }, out, path.join(ROOT, 'bench/.results', `serve-${started.toISOString().replaceAll(':', '-')}.json`), log);
  if (problems.length > 0) process.exitCode = 1;
}

/** The CPU a replica may use before latency climbs (the queue keeps its slots busy; leave headroom). */
const UTILIZATION = 0.7;
const REPLICA_CORES = [2, 4, 8] as const;

/**
 * Replicas a trainer needs for N grades/s of a mix, from its CPU per grade: a replica of C cores with
 * `--concurrency C` grades min(C / cpu, 1 / main) × 70 % grades/s, where `main` is the server's main thread's CPU per
 * grade (its JavaScript runs the checks and the properties' statistics on one thread, whatever C is).
 */
function sizingTable(mix: string, cpuMsPerGrade: number, mainThreadMsPerGrade: number): { mix: string; cpuMsPerGrade: number; mainThreadMsPerGrade: number; perReplica: Record<string, number>; rows: { gradesPerSecond: number; cores: number; replicas: Record<string, number> }[] } {
  const perReplica = Object.fromEntries(REPLICA_CORES.map((c) => [`${c} cores`, UTILIZATION * Math.min((c * 1000) / cpuMsPerGrade, 1000 / mainThreadMsPerGrade)]));
  return {
    mix,
    cpuMsPerGrade,
    mainThreadMsPerGrade,
    perReplica,
    rows: [10, 100, 1000].map((n) => ({
      gradesPerSecond: n,
      cores: Math.ceil((n * cpuMsPerGrade) / 1000 / UTILIZATION),
      replicas: Object.fromEntries(Object.entries(perReplica).map(([k, g]) => [k, Math.ceil(n / g)])),
    })),
  };
}

await main();
