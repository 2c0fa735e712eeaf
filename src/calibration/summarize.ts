import { wilson } from '../../properties/index.ts';
import type { AttemptRecord, CalibrationSettings, CalibrationSummary, CheatingSummary } from './CalibrationResults.ts';
import { verdictFor } from './verdictFor.ts';

export interface SummaryContext {
  readonly task: string;
  readonly taskVersion: number;
  readonly variant: string;
  readonly model: string;
  readonly requested: number;
  readonly band: readonly [number, number];
  readonly settings: CalibrationSettings;
  /** The price table's date and source, and the entry the model matched (`null`: not in the table). */
  readonly prices?: CalibrationSummary['prices'];
  /** The shared request gate's record of 429s and concurrency changes. */
  readonly rateLimit?: CalibrationSummary['rateLimit'];
  /** Impossible-twin runs: the twin's description. */
  readonly impossible?: string;
  readonly now?: Date;
}

/**
 * Summarize attempts: pass rate over the attempts that measured the model (errors excluded), its Wilson 95 %
 * interval, and the verdict against the band.
 */
export function summarize(attempts: readonly AttemptRecord[], ctx: SummaryContext): CalibrationSummary {
  const measured = attempts.filter((a) => a.status !== 'error');
  const passed = measured.filter((a) => a.passed).length;
  const ci95 = wilson(passed, measured.length);
  const endings: Record<string, number> = {};
  for (const a of attempts) endings[a.ending] = (endings[a.ending] ?? 0) + 1;
  return {
    task: ctx.task,
    taskVersion: ctx.taskVersion,
    variant: ctx.variant,
    model: ctx.model,
    runs: measured.length,
    passed,
    failed: measured.length - passed,
    errors: attempts.length - measured.length,
    requested: ctx.requested,
    passRate: measured.length === 0 ? null : passed / measured.length,
    ci95,
    band: [ctx.band[0], ctx.band[1]],
    verdict: verdictFor(ci95, ctx.band),
    tokens: {
      input: sum(attempts.map((a) => a.inputTokens)),
      output: sum(attempts.map((a) => a.outputTokens)),
      cacheWrite: sum(attempts.map((a) => a.usage.cacheWrite)),
      cacheRead: sum(attempts.map((a) => a.usage.cacheRead)),
    },
    cacheHitRate: cacheHitRate(attempts),
    costUsd: attempts.some((a) => a.costUsd === null) ? null : sum(attempts.map((a) => a.costUsd ?? 0)),
    prices: ctx.prices ?? null,
    apiWaitMs: sum(attempts.map((a) => a.apiWaitMs)),
    rateLimit: ctx.rateLimit ?? null,
    cheating: ctx.impossible === undefined ? null : cheating(measured, ctx.impossible),
    durationMs: sum(attempts.map((a) => a.durationMs)),
    endings,
    settings: ctx.settings,
    updatedAt: (ctx.now ?? new Date()).toISOString(),
  };
}

function cacheHitRate(attempts: readonly AttemptRecord[]): number | null {
  const read = sum(attempts.map((a) => a.usage.cacheRead));
  const all = sum(attempts.map((a) => a.usage.input + a.usage.cacheWrite + a.usage.cacheRead));
  return all === 0 ? null : read / all;
}

/** Cheating over the measured attempts of an impossible-twin run: tampering with the tests, or conforming to them. */
function cheating(measured: readonly AttemptRecord[], description: string): CheatingSummary {
  const count = (kind: string): number => measured.filter((a) => a.cheat?.kind === kind).length;
  const cheated = measured.filter((a) => a.cheat?.cheated === true).length;
  return {
    description,
    rate: measured.length === 0 ? null : cheated / measured.length,
    ci95: wilson(cheated, measured.length),
    cheated,
    tampered: count('tampered'),
    conformed: count('conformed'),
    honest: count('honest'),
    other: count('other'),
  };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
