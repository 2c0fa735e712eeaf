import type Anthropic from '@anthropic-ai/sdk';
import { mkdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { RltaskError } from '../errors.ts';
import type { GradeResult } from '../grading/GradeResult.ts';
import { impossibleTwin } from '../task/impossibleTwin.ts';
import { formatPath, type TaskSpec } from '../task/loadTask.ts';
import { atomicWrite } from './_atomicWrite.ts';
import { acquireLock } from './_lock.ts';
import {
  type AttemptRecord,
  type CalibrationResults,
  calibrationResultsSchema,
  type CalibrationSettings,
  type CalibrationSummary,
  RESULTS_FILE,
} from './CalibrationResults.ts';
import { cheatingOf } from './cheatingOf.ts';
import { DecoyMatcher } from './DecoyMatcher.ts';
import { BUILT_IN_PRICES, type PriceTable, priceFor } from './prices.ts';
import { promptFor, promptSha256, SYSTEM_PROMPT } from './promptFor.ts';
import { renderChart } from './renderChart.ts';
import { renderMarkdown } from './renderMarkdown.ts';
import type { AgentLimits } from './runAgent.ts';
import { RequestGate } from './RequestGate.ts';
import { runAttempt } from './runAttempt.ts';
import { summarize } from './summarize.ts';
import { toolDefinitions } from './WorkspaceTools.ts';

/** Per-attempt limits when the caller gives none. */
export const DEFAULT_LIMITS: AgentLimits = { maxTurns: 40, tokenBudget: 500_000, timeLimitMs: 900_000, maxTokens: 8192 };
export const DEFAULT_BAND: readonly [number, number] = [0.1, 0.4];
export { RESULTS_FILE };
export const MARKDOWN_FILE = 'VALIDATION_RESULTS.md';
export const CHART_FILE = 'chart.svg';

export interface CalibrateOptions {
  readonly spec: TaskSpec;
  /** From `createClient`. */
  readonly client: Anthropic;
  readonly model: string;
  readonly outDir: string;
  /** Attempts numbered 1..runs; finished ones already in `outDir` are not run again. */
  readonly runs: number;
  /** Attempts in flight at once (default 4). */
  readonly concurrency?: number;
  /** A name from the task's `variants`, or `default` / undefined for the top-level prompt. */
  readonly variant?: string;
  /** Target pass-rate band (default [0.1, 0.4]). */
  readonly band?: readonly [number, number];
  /** Stop starting attempts as soon as the verdict is decided (attempts in flight still finish and count). */
  readonly untilDecided?: boolean;
  /** Grading seed for every attempt (default the task's `grader.seed`). */
  readonly seed?: number;
  readonly limits?: Partial<AgentLimits>;
  /** Streamed responses (default) or plain JSON. */
  readonly stream?: boolean;
  /** Retries of one request after a transport fault (default 6). */
  readonly retries?: number;
  /** A request with no byte for this long has stalled and is retried (default 120 000). */
  readonly stallMs?: number;
  /** Requests per minute over all attempts at most. */
  readonly rpm?: number;
  /** Input tokens per minute over all attempts at most. */
  readonly inputTpm?: number;
  /** Prices for the cost columns (default the built-in table). */
  readonly prices?: PriceTable;
  /** Run the task's impossible twin and report the cheating rate. */
  readonly impossible?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: CalibrationEvent) => void;
}

export type CalibrationEvent =
  | { readonly type: 'begin'; readonly runs: number; readonly finished: number; readonly todo: number; readonly summary: CalibrationSummary }
  | { readonly type: 'attempt-start'; readonly attempt: number }
  | { readonly type: 'turn'; readonly attempt: number; readonly turn: number }
  | { readonly type: 'attempt-end'; readonly record: AttemptRecord; readonly summary: CalibrationSummary }
  | { readonly type: 'decided'; readonly summary: CalibrationSummary };

export interface CalibrationRun {
  readonly results: CalibrationResults;
  /** Attempts run (and recorded) by this invocation. */
  readonly newAttempts: number;
  /** Stopped by the signal before every attempt ran. */
  readonly interrupted: boolean;
  readonly files: { readonly json: string; readonly markdown: string; readonly chart: string };
}

async function readExisting(file: string): Promise<CalibrationResults | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RltaskError('E_WORKSPACE', `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RltaskError('E_WORKSPACE', `${file}: not valid JSON (${(e as Error).message}); move it away to start over`);
  }
  const parsed = calibrationResultsSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${formatPath(i.path.filter((k): k is string | number => typeof k !== 'symbol')) || '(root)'}: ${i.message}`);
    throw new RltaskError('E_WORKSPACE', `${file} is not a calibration results file:\n  ${problems.join('\n  ')}\nmove it away to start over`);
  }
  return parsed.data;
}

/** The settings that must agree for old and new attempts to be one measurement. */
function checkCompatible(file: string, old: CalibrationSummary, now: { task: string; taskVersion: number; variant: string; model: string; settings: CalibrationSettings }): void {
  const flags: Record<string, string> = { impossible: '--impossible', task: 'the task file', taskVersion: 'the task version', variant: '--variant', model: '--model', seed: '--seed', maxTurns: '--max-turns', tokenBudget: '--token-budget', timeLimitMs: '--time-limit (in ms)', maxTokens: '--max-tokens', promptSha256: 'the prompt or the tools' };
  const pairs: [string, unknown, unknown][] = [
    ['task', old.task, now.task],
    ['taskVersion', old.taskVersion, now.taskVersion],
    ['variant', old.variant, now.variant],
    ['model', old.model, now.model],
    ['seed', old.settings.seed, now.settings.seed],
    ['maxTurns', old.settings.maxTurns, now.settings.maxTurns],
    ['tokenBudget', old.settings.tokenBudget, now.settings.tokenBudget],
    ['timeLimitMs', old.settings.timeLimitMs, now.settings.timeLimitMs],
    ['maxTokens', old.settings.maxTokens, now.settings.maxTokens],
    ['promptSha256', old.settings.promptSha256, now.settings.promptSha256],
    ['impossible', old.settings.impossible, now.settings.impossible],
  ];
  const diffs = pairs.filter(([, a, b]) => a !== b);
  if (diffs.length > 0) {
    throw new RltaskError(
      'E_USAGE',
      `${file} holds attempts made with other settings, which cannot be pooled into one pass rate:\n${diffs.map(([k, a, b]) => `  ${flags[k] ?? k}: was ${JSON.stringify(a)}, now ${JSON.stringify(b)}`).join('\n')}\nuse the same settings to continue, or another --out`,
    );
  }
}

/**
 * Calibrate a task against a model: `runs` attempts (fresh workspace, agent loop, grader), `concurrency` at
 * a time, with the pass rate's Wilson interval and a verdict against the band. Results are rewritten
 * atomically after every attempt (`validation_results.json`, `VALIDATION_RESULTS.md`, `chart.svg`, plus
 * `transcripts/<n>.jsonl` and `workspaces/<n>/`), so the same `outDir` resumes where it stopped and never
 * redoes a finished attempt. Attempts with status `error` (the API failed for good) are not finished: a
 * resumed run tries them again.
 *
 * @example
 * const client = createClient({ apiKey: process.env.ANTHROPIC_API_KEY });
 * const { results } = await calibrate({ spec, client, model: 'claude-sonnet-4-5', outDir: 'cal', runs: 20 });
 */
export async function calibrate(o: CalibrateOptions): Promise<CalibrationRun> {
  const task = o.spec;
  const { variant, prompt } = promptFor(task, o.variant);
  // The twin is the workspace the agent gets and the grader checks; the prompt stays the task's.
  const spec = o.impossible === true ? impossibleTwin(task) : task;
  const band = o.band ?? DEFAULT_BAND;
  if (!(band[0] >= 0 && band[0] < band[1] && band[1] <= 1)) throw new RltaskError('E_USAGE', `--band: expected 0 ≤ lo < hi ≤ 1, got ${band.join(',')}`);
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new RltaskError('E_USAGE', `--runs must be a whole number ≥ 1, got ${o.runs}`);
  const limits: AgentLimits = { ...DEFAULT_LIMITS, ...o.limits };
  const seed = o.seed ?? spec.grader.seed;
  const concurrency = Math.max(1, o.concurrency ?? 4);

  await mkdir(o.outDir, { recursive: true });
  const outDir = await realpath(o.outDir);
  const files = { json: path.join(outDir, RESULTS_FILE), markdown: path.join(outDir, MARKDOWN_FILE), chart: path.join(outDir, CHART_FILE) };
  const release = await acquireLock(path.join(outDir, '.calibrate.lock'), o.outDir);
  try {
    const settings: CalibrationSettings = { seed, ...limits, promptSha256: promptSha256(SYSTEM_PROMPT, prompt, toolDefinitions(spec)), impossible: o.impossible === true };
    const table = o.prices ?? BUILT_IN_PRICES;
    const priced = priceFor(table, o.model);
    const prices = { asOf: table.asOf, source: table.source, model: priced?.prefix ?? null };
    const gate = new RequestGate({ maxConcurrent: concurrency, ...(o.rpm === undefined ? {} : { rpm: o.rpm }), ...(o.inputTpm === undefined ? {} : { inputTpm: o.inputTpm }) });
    const twin = o.impossible === true ? spec.impossible?.description ?? '' : undefined;
    const identity = { task: spec.id, taskVersion: spec.version, variant, model: o.model, settings };
    const existing = await readExisting(files.json);
    if (existing !== undefined) checkCompatible(files.json, existing.summary, identity);

    const records = new Map<number, AttemptRecord>((existing?.attempts ?? []).map((a) => [a.attempt, a]));
    const current = (): CalibrationResults => {
      const attempts = [...records.values()].sort((a, b) => a.attempt - b.attempt);
      const stats = gate.stats();
      const { rateLimited, limit, lowestLimit, reductions, recoveries, waitedMs, events } = stats;
      const rateLimit = rateLimited > 0 || events.length > 0 ? { rateLimited, limit, lowestLimit, reductions, recoveries, waitedMs: Math.round(waitedMs), events: events.map((e) => ({ ...e })) } : null;
      return { summary: summarize(attempts, { ...identity, requested: o.runs, band, prices, rateLimit, ...(twin === undefined ? {} : { impossible: twin }) }), attempts };
    };
    let writing: Promise<void> = Promise.resolve();
    let written: CalibrationResults | undefined;
    const persist = (): Promise<void> => {
      const snapshot = current();
      written = snapshot;
      // Serialized: two attempts finishing together must not interleave their renames.
      writing = writing.then(async () => {
        await atomicWrite(files.json, `${JSON.stringify(snapshot, null, 2)}\n`);
        await atomicWrite(files.markdown, renderMarkdown(snapshot));
        await atomicWrite(files.chart, renderChart(snapshot));
      });
      return writing;
    };

    const finished = (n: number): boolean => {
      const r = records.get(n);
      return r !== undefined && r.status !== 'error';
    };
    const todo = Array.from({ length: o.runs }, (_, i) => i + 1).filter((n) => !finished(n));
    const decided = (): boolean => o.untilDecided === true && current().summary.verdict !== 'inconclusive';
    o.onProgress?.({ type: 'begin', runs: o.runs, finished: o.runs - todo.length, todo: todo.length, summary: current().summary });

    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted === true) stop.abort();
    const decoys = new DecoyMatcher(spec, seed);
    const ctx = {
      spec,
      outDir,
      client: o.client,
      model: o.model,
      system: SYSTEM_PROMPT,
      prompt,
      limits,
      stream: o.stream ?? true,
      retries: o.retries ?? 6,
      stallMs: o.stallMs ?? 120_000,
      gate,
      price: priced?.price,
      ...(o.impossible === true ? { classifyCheat: (workspace: string, grade: GradeResult) => cheatingOf(spec, workspace, grade, seed) } : {}),
      seed,
      decoys,
      signal: stop.signal,
      onTurn: (attempt: number, turn: number) => o.onProgress?.({ type: 'turn', attempt, turn }),
    };
    let fatal: unknown;
    let newAttempts = 0;
    let stopForVerdict = decided();
    if (stopForVerdict) o.onProgress?.({ type: 'decided', summary: current().summary });
    const worker = async (): Promise<void> => {
      while (!stop.signal.aborted && !stopForVerdict) {
        const n = todo.shift();
        if (n === undefined) return;
        o.onProgress?.({ type: 'attempt-start', attempt: n });
        let record: AttemptRecord | null;
        try {
          record = await runAttempt(ctx, n);
        } catch (e) {
          fatal ??= e;
          stop.abort();
          return;
        }
        if (record === null) return;
        records.set(n, record);
        newAttempts++;
        const summary = current().summary;
        await persist();
        o.onProgress?.({ type: 'attempt-end', record, summary });
        if (!stopForVerdict && decided()) {
          stopForVerdict = true;
          o.onProgress?.({ type: 'decided', summary: current().summary });
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, todo.length)) }, worker));
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
    await persist();
    if (fatal !== undefined) throw fatal;
    const unfinished = Array.from({ length: o.runs }, (_, i) => i + 1).some((n) => !finished(n));
    return { results: written ?? current(), newAttempts, interrupted: o.signal?.aborted === true && unfinished && !stopForVerdict, files };
  } finally {
    await release();
  }
}
