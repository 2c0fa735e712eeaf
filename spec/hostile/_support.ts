/**
 * Shared fixtures for the hostile-submission and fault specs: a task variant with small limits (so loops and
 * bombs end fast), workspaces and sentinels in one temporary root, snapshots that prove "no side effect on
 * disk", a grade that bypasses the static (AST) layer to test the runtime sandbox on its own, and a scan of the
 * process table for children left behind.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deriveSeed } from '../../src/grading/deriveSeed.ts';
import { gradeStatuses } from '../../src/grading/GradeResult.ts';
import { sandboxOptions } from '../../src/grading/gradeWorkspace.ts';
import { Oracle } from '../../src/sandbox/Oracle.ts';
import { Sandbox } from '../../src/sandbox/Sandbox.ts';
import { SubmissionFault } from '../../src/errors.ts';
import { resolveProperty } from '../../properties/registry.ts';
import { referenceCodeOf, referenceSolution } from '../../src/grading/referenceSolution.ts';
import { runtimeFor } from '../../src/runtime/registry.ts';
import { transpileModule } from '../../src/runtime/typescript/transpile.ts';
import { parseTask, type TaskSpec } from '../../src/task/loadTask.ts';
import { initWorkspace } from '../../src/workspace/initWorkspace.ts';
import { DROPOUT_YAML } from '../_helpers.ts';

/** Limits of the hostile task variant: loops and bombs end within a few seconds; output is capped small. */
export const LIMITS = { timeMs: 8000, memoryMb: 256, outputBytes: 8192, fileBytes: 65536 } as const;

/**
 * "Finished within the task's time limit plus a small margin": a correctness bound (the grader did not hang),
 * not a speed test, so the margin is generous for a loaded 2-core machine.
 */
export const MARGIN_MS = 20_000;

/** The task's YAML with its `limits` block replaced (same files, grader and properties). */
export async function variantYaml(limits: { timeMs: number; memoryMb: number; outputBytes: number; fileBytes: number } = LIMITS): Promise<string> {
  const text = await readFile(DROPOUT_YAML, 'utf8');
  const block = /^limits:\n(?: {2}.*\n)+/m;
  if (!block.test(text)) throw new Error(`${DROPOUT_YAML} has no limits block to replace`);
  return text.replace(block, `limits:\n  timeMs: ${limits.timeMs}\n  memoryMb: ${limits.memoryMb}\n  outputBytes: ${limits.outputBytes}\n  fileBytes: ${limits.fileBytes}\n`);
}

let shared: Promise<TaskSpec> | undefined;
/** The hostile variant of the dropout task, parsed once per test file. */
export function hostileTask(): Promise<TaskSpec> {
  shared ??= variantYaml().then((t) => parseTask(t, 'variance-dropout.hostile.yaml'));
  return shared;
}

/** The original dropout.ts and the reference fix, as text. */
export async function sources(): Promise<{ bug: string; fix: string; test: string }> {
  const spec = await hostileTask();
  const bug = spec.files.find((f) => f.path === 'dropout.ts')!.content;
  const test = spec.files.find((f) => f.path === 'dropout.test.ts')!.content;
  const edit = spec.solution.edits[0]!;
  return { bug, fix: bug.replace(edit.find, edit.replace), test };
}

/**
 * One temporary root per test file for workspaces, sentinels and task copies. `PATH` gets a unique marker
 * directory, which every sandbox child inherits (its only environment variable), so that the process table can
 * be searched for children this test file started — including ones whose parent died.
 */
export class Scratch {
  readonly root: string;
  readonly marker: string;
  /** A directory outside every workspace, holding a sentinel file the submissions try to overwrite. */
  readonly outside: string;
  readonly sentinel: string;
  /** A path the submissions try to create. */
  readonly pwned: string;
  #n = 0;

  private constructor(root: string) {
    this.root = root;
    this.marker = path.join(root, 'path-marker');
    this.outside = path.join(root, 'outside');
    this.sentinel = path.join(this.outside, 'sentinel.txt');
    this.pwned = path.join(this.outside, 'pwned');
  }

  static async create(prefix: string): Promise<Scratch> {
    const s = new Scratch(await mkdtemp(path.join(tmpdir(), `rltask-${prefix}-`)));
    await mkdir(s.marker);
    await mkdir(s.outside);
    await writeFile(s.sentinel, 'sentinel: must never change\n');
    if (!(process.env['PATH'] ?? '').includes(s.marker)) process.env['PATH'] = `${s.marker}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
    return s;
  }

  /** A fresh directory under the root. */
  async dir(name: string): Promise<string> {
    const d = path.join(this.root, `${String(++this.#n).padStart(3, '0')}-${name}`);
    await mkdir(d, { recursive: true });
    return d;
  }

  /** A workspace of `spec` whose files are the task's, with `contents` overriding some of them. */
  async workspace(spec: TaskSpec, name: string, contents: ReadonlyMap<string, string> = new Map()): Promise<string> {
    const d = await this.dir(name);
    await initWorkspace(spec, d, { force: true, contents });
    return d;
  }

  /** Remove everything; returns whether the root is really gone. */
  async cleanup(): Promise<boolean> {
    await rm(this.root, { recursive: true, force: true });
    return lstat(this.root).then(
      () => false,
      () => true,
    );
  }
}

/** Every entry under `dir` (not following symlinks): path → type, mode, size and content hash. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const p = path.join(d, name);
      const st = await lstat(p);
      const rel = path.relative(dir, p);
      if (st.isSymbolicLink()) out.set(rel, `link ${await readlink(p)}`);
      else if (st.isDirectory()) {
        out.set(rel, `dir ${st.mode}`);
        await walk(p);
      } else if (st.isFile() && st.size <= 16 * 1024 * 1024) out.set(rel, `file ${st.mode} ${st.size} ${createHash('sha256').update(await readFile(p)).digest('hex')}`);
      else out.set(rel, `other ${st.mode} ${st.size} ${st.mtimeMs}`);
    }
  };
  await walk(dir);
  return out;
}

/** The hostile case files' placeholders, filled in with this run's targets. */
export interface Targets {
  readonly sentinel: string;
  readonly pwned: string;
  readonly workspace: string;
  readonly taskFile: string;
  readonly parentPid: number;
  readonly port: number;
}

export function fillPlaceholders(source: string, t: Targets): string {
  return source
    .replaceAll('__SENTINEL__', JSON.stringify(t.sentinel))
    .replaceAll('__PWNED__', JSON.stringify(t.pwned))
    .replaceAll('__WORKSPACE__', JSON.stringify(t.workspace))
    .replaceAll('__TASK_FILE__', JSON.stringify(t.taskFile))
    .replaceAll('__PARENT_PID__', String(t.parentPid))
    .replaceAll('__PORT__', String(t.port));
}

export interface RuntimeVerdict {
  readonly status: 'passed' | 'failed';
  /** The first failing step (compile, load or a property id) and its message. */
  readonly failed?: { readonly id: string; readonly message: string };
  readonly output: string;
  readonly durationMs: number;
}

/**
 * Grade `source` with the runtime layer only — transpile, sandbox, load, every property — skipping the static
 * policy, so the sandbox is shown to hold on its own for code the AST policy would have refused. Mirrors
 * gradeWorkspace's sandbox part; a SubmissionFault is a failure, anything else propagates (a grader bug).
 */
export async function gradeRuntimeOnly(spec: TaskSpec, source: string, seed = spec.grader.seed): Promise<RuntimeVerdict> {
  const started = performance.now();
  const file = spec.grader.subject.file;
  const done = (failed: RuntimeVerdict['failed'], output: string): RuntimeVerdict => ({
    status: failed === undefined ? 'passed' : 'failed',
    ...(failed === undefined ? {} : { failed }),
    output,
    durationMs: Math.round(performance.now() - started),
  });
  const compiled = transpileModule(source, file);
  if (!compiled.ok) return done({ id: 'compile', message: compiled.message }, '');
  const sandbox = await Sandbox.start(sandboxOptions(spec));
  let failed: RuntimeVerdict['failed'];
  try {
    const deadline = performance.now() + spec.limits.timeMs;
    const loaded = await sandbox.load(compiled.code, file, deriveSeed(seed, 'Math.random'), spec.limits.timeMs).catch((e: unknown) => {
      if (e instanceof SubmissionFault) return { ok: false as const, thrown: { name: 'fault', message: e.message } };
      throw e;
    });
    if (!loaded.ok) failed = { id: 'load', message: `${loaded.thrown.name}: ${loaded.thrown.message}` };
    else if (!loaded.exports.includes(spec.grader.subject.export)) failed = { id: 'load', message: 'subject not exported' };
    else {
      const oracle = new Oracle(sandbox, deadline);
      const reference = referenceSolution(referenceCodeOf(spec), runtimeFor(spec.runtime), deriveSeed(seed, 'reference'));
      try {
        for (const entry of spec.grader.properties) {
          const property = resolveProperty(entry);
          try {
            const outcome = await property.run({ oracle, subject: spec.grader.subject.export, seed: deriveSeed(seed, property.id), reference: reference.solution });
            if (!outcome.passed) failed = { id: property.id, message: outcome.message };
          } catch (e) {
            if (!(e instanceof SubmissionFault)) throw e;
            failed = { id: property.id, message: e.message };
          }
          if (failed !== undefined) break;
        }
      } finally {
        await reference.dispose();
      }
    }
  } finally {
    await sandbox.dispose();
  }
  return done(failed, sandbox.output);
}

/** Processes (other than this one) whose environment holds `marker`: sandbox children this file started. */
export async function processesWith(marker: string): Promise<{ pid: number; ppid: number; args: string }[]> {
  const found: { pid: number; ppid: number; args: string }[] = [];
  for (const name of await readdir('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = await readFile(`/proc/${pid}/environ`, 'latin1');
      if (!environ.includes(marker)) continue;
      const stat = await readFile(`/proc/${pid}/stat`, 'latin1');
      // Zombies are already dead (their parent has not reaped them yet); they hold no resources worth a leak.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const args = (await readFile(`/proc/${pid}/cmdline`, 'latin1')).split('\0').join(' ').slice(0, 200);
      // esbuild's service process belongs to this test process (transpiling) and ends with it.
      if (fields[1] === String(process.pid) && args.includes('esbuild')) continue;
      found.push({ pid, ppid: Number(fields[1]), args });
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return found;
}

/** Wait until no process carries `marker` (children exit asynchronously after a kill), or give up. */
export async function settledProcesses(marker: string, waitMs = 10_000): Promise<{ pid: number; ppid: number; args: string }[]> {
  const until = performance.now() + waitMs;
  for (;;) {
    const left = await processesWith(marker);
    if (left.length === 0 || performance.now() > until) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The fields of a `grade --json` line the hostile specs look at, validated (the line comes from a child process). */
export interface BatchResult {
  readonly workspace: string;
  readonly status: (typeof gradeStatuses)[number];
  readonly feedback: string;
  readonly output: string;
  readonly durationMs: number;
  readonly checks: readonly { readonly id: string; readonly passed: boolean }[];
  readonly error?: { readonly code: string; readonly message: string };
}

function isBatchResult(v: unknown): v is BatchResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r['workspace'] === 'string' &&
    gradeStatuses.some((s) => s === r['status']) &&
    typeof r['feedback'] === 'string' &&
    typeof r['output'] === 'string' &&
    typeof r['durationMs'] === 'number' &&
    Array.isArray(r['checks'])
  );
}

/** `grade --json` output (JSON Lines) by workspace; throws on a line that is not a grade result. */
export function parseBatch(stdout: string): Map<string, BatchResult> {
  const results = new Map<string, BatchResult>();
  for (const line of stdout.split('\n').filter((l) => l.trim() !== '')) {
    const parsed: unknown = JSON.parse(line);
    if (!isBatchResult(parsed)) throw new Error(`not a grade result: ${line.slice(0, 200)}`);
    results.set(parsed.workspace, parsed);
  }
  return results;
}
