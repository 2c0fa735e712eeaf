import pkg from '../../package.json' with { type: 'json' };
import { gradeMany } from '../grading/gradeMany.ts';
import type { GradeResult } from '../grading/GradeResult.ts';
import { gradeWorkspace } from '../grading/gradeWorkspace.ts';
import { runtimeFor } from '../runtime/registry.ts';
import type { SandboxOptions } from '../sandbox/Sandbox.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { GradeQueue } from './GradeQueue.ts';
import { ServerMetrics } from './ServerMetrics.ts';
import type { CatalogEntry, TaskCatalog } from './TaskCatalog.ts';

/** Where a verdict came from: the task file's hash, the grader's version, the seed, the runtime and the isolation. */
export interface Provenance {
  readonly taskSha256: string;
  readonly graderVersion: string;
  readonly seed: number;
  readonly runtime: string;
  /** The layers in force for this grade's children (the runtime's, as detected on this machine). */
  readonly isolation: readonly string[];
}

export type ServedGrade = GradeResult & { readonly provenance: Provenance };

/** The limits of `rltask serve` (its flags). */
export interface ServerLimits {
  readonly concurrency: number;
  readonly queue: number;
  readonly maxSessions: number;
  readonly maxSteps: number;
  readonly idleMs: number;
  readonly maxBodyBytes: number;
  readonly drainMs: number;
}

/**
 * What the routes and the sessions share: the tasks, the grading queue and its metrics, the limits, and whether
 * the server is draining. Grading goes through here so that a session's `submit` and an HTTP grade share the
 * same slots.
 */
export class ServerContext {
  readonly catalog: TaskCatalog;
  readonly limits: ServerLimits;
  readonly queue: GradeQueue;
  readonly metrics: ServerMetrics;
  /** Aborted when the drain deadline passes: grades still running are stopped (their children killed). */
  readonly #stop = new AbortController();
  #draining = false;
  readonly #closers = new Set<() => Promise<void> | void>();

  constructor(catalog: TaskCatalog, limits: ServerLimits) {
    this.catalog = catalog;
    this.limits = limits;
    this.queue = new GradeQueue(limits.concurrency, limits.queue);
    this.metrics = new ServerMetrics(this.queue);
  }

  get draining(): boolean {
    return this.#draining;
  }

  get stopSignal(): AbortSignal {
    return this.#stop.signal;
  }

  /** Something to close when the server drains (a session); returns its unregister. */
  onDrain(close: () => Promise<void> | void): () => void {
    this.#closers.add(close);
    return () => this.#closers.delete(close);
  }

  /** Stop taking work and close what registered with `onDrain`; `stopNow` then aborts grades still running. */
  async beginDrain(): Promise<void> {
    this.#draining = true;
    await Promise.allSettled([...this.#closers].map((c) => c()));
  }

  stopNow(): void {
    this.#stop.abort();
  }

  async provenance(entry: CatalogEntry, seed: number): Promise<Provenance> {
    return { taskSha256: entry.sha256, graderVersion: pkg.version, seed, runtime: entry.spec.runtime, isolation: [...(await runtimeFor(entry.spec.runtime).isolationLayers())] };
  }

  #startSandbox(spec: TaskSpec): (o: SandboxOptions) => ReturnType<ReturnType<typeof runtimeFor>['startChild']> {
    const runtime = runtimeFor(spec.runtime);
    return async (o) => {
      this.metrics.sandboxStarts.inc();
      try {
        return await runtime.startChild(o);
      } catch (e) {
        this.metrics.sandboxFailures.inc();
        throw e;
      }
    };
  }

  #record(spec: TaskSpec, r: GradeResult, seconds: number): void {
    this.metrics.grades.inc({ task: spec.id, status: r.status });
    this.metrics.gradeSeconds.observe({ task: spec.id }, seconds);
  }

  /** Grade one workspace directory through the queue (429 when it is full, decided before anything is awaited). */
  async gradeDir(entry: CatalogEntry, dir: string, o: { seed?: number | undefined; failFast?: boolean | undefined; label?: string }): Promise<ServedGrade> {
    const seed = o.seed ?? entry.spec.grader.seed;
    const r = await this.queue.run(1, async () => {
      const started = performance.now();
      const graded = await gradeWorkspace(entry.spec, dir, { seed, failFast: o.failFast === true, startSandbox: this.#startSandbox(entry.spec), ...(o.label === undefined ? {} : { label: o.label }) });
      this.#record(entry.spec, graded, (performance.now() - started) / 1000);
      return graded;
    });
    return { ...r, provenance: await this.provenance(entry, seed) };
  }

  /**
   * Grade many directories of one task as one job of the queue (it takes up to `--concurrency` slots, and its
   * children come from one pool); `onResult` sees each as it finishes, with its index. Admission (a 429) is decided
   * before anything is awaited. Grades stopped by the drain deadline are dropped.
   */
  async gradeDirs(entry: CatalogEntry, dirs: readonly string[], o: { seed?: number | undefined; failFast?: boolean | undefined; onResult: (index: number, r: ServedGrade) => void }): Promise<void> {
    const seed = o.seed ?? entry.spec.grader.seed;
    const index = new Map(dirs.map((d, i) => [d, i]));
    await this.queue.run(dirs.length, async (slots) => {
      const provenance = await this.provenance(entry, seed);
      const started = performance.now();
      await gradeMany(entry.spec, dirs, {
        seed,
        failFast: o.failFast === true,
        concurrency: slots,
        signal: this.#stop.signal,
        onResult: (r) => {
          this.#record(entry.spec, r, (performance.now() - started) / 1000);
          o.onResult(index.get(r.workspace) ?? -1, { ...r, provenance });
        },
      });
    });
  }
}
