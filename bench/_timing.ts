import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { Bench, type Fn, type FnOptions } from 'tinybench';

/** One measured figure: wall-clock milliseconds per call (median over the samples, which tinybench collects). */
export interface Figure {
  readonly name: string;
  readonly group: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly samples: number;
  /** Free-form extra numbers (grades/s, verdicts, …). */
  readonly extra?: Readonly<Record<string, number | string | boolean>>;
}

export interface MeasureOptions {
  /** Measured calls (tinybench `iterations`, with no time budget so slow tasks do not run for ever). */
  readonly iterations: number;
  /** Unmeasured calls first (JIT, caches, lazily loaded modules). */
  readonly warmup?: number;
  readonly beforeEach?: FnOptions['beforeEach'];
  readonly afterEach?: FnOptions['afterEach'];
}

/** Measure `fn` with tinybench and return its median latency. Throws if the task threw. */
export async function measure(group: string, name: string, fn: Fn, options: MeasureOptions): Promise<Figure> {
  const warmup = options.warmup ?? 0;
  const bench = new Bench({ time: 0, iterations: options.iterations, warmup: warmup > 0, warmupTime: 0, warmupIterations: warmup, throws: true });
  const taskOptions: FnOptions = { async: true };
  if (options.beforeEach !== undefined) taskOptions.beforeEach = options.beforeEach;
  if (options.afterEach !== undefined) taskOptions.afterEach = options.afterEach;
  bench.add(name, fn, taskOptions);
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== 'completed') throw new Error(`benchmark "${name}" ended in state ${result.state}`);
  return { name, group, medianMs: result.latency.p50, minMs: result.latency.min, maxMs: result.latency.max, samples: result.latency.samplesCount };
}

/** Median of a list (NaN when empty). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Exec {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a command to completion (no shell), collecting its output. */
export function run(command: string, args: readonly string[], cwd: string): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 99, stdout, stderr });
    });
  });
}

/** The figures as a markdown table, each with its ratio to t₀ (`node -e 0` in the same run). */
export function printTable(rows: readonly (Figure & { ratio: number })[], t0: number): void {
  const fmtExtra = (e: Figure['extra']): string =>
    e === undefined
      ? ''
      : Object.entries(e)
          .map(([k, v]) => `${k} ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(1)) : String(v)}`)
          .join(', ');
  const out: string[] = [`| group | figure | median ms | × t₀ (${t0.toFixed(0)} ms) | samples | notes |`, '|---|---|---:|---:|---:|---|'];
  for (const r of rows) out.push(`| ${r.group} | ${r.name} | ${r.medianMs.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.samples} | ${fmtExtra(r.extra)} |`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** `node -e 0` started `iterations` times (after two unmeasured starts): t₀, the unit every figure is divided by. */
export async function nodeE0(iterations: number): Promise<Figure> {
  return measure('baseline', 'node -e 0 (t₀)', async () => {
    const r = await run(process.execPath, ['-e', '0'], process.cwd());
    if (r.code !== 0) throw new Error('node -e 0 failed');
  }, { iterations, warmup: 2 });
}

/**
 * t₀ right now, for a figure divided by the t₀ measured next to it: `nodeE0` over 5 starts (after its unmeasured
 * ones), after a second's pause. Right after a batch the kernel is still tearing down its sandboxes (their network
 * namespaces are freed by a kernel worker) and the first starts measured 3–8 % slower, which would flatter the ratio.
 */
export async function t0Adjacent(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return (await nodeE0(5)).medianMs;
}

/**
 * Write a bench's results as JSON: to stdout when `out` is `-`, to `out` when given, else to `defaultFile`
 * (made with its directory); says where through `log`.
 */
export async function writeResults(results: unknown, out: string | undefined, defaultFile: string, log: (line: string) => void): Promise<void> {
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (out === '-') {
    process.stdout.write(json);
    return;
  }
  const file = out === undefined ? defaultFile : path.resolve(out);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, json);
  log(`wrote ${path.relative(process.cwd(), file)}`);
}
