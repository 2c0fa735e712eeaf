import { wilson } from '../../properties/index.ts';
import type { AttemptRecord, CalibrationSettings, CalibrationSummary } from './CalibrationResults.ts';
import { verdictFor } from './verdictFor.ts';

export interface SummaryContext {
  readonly task: string;
  readonly taskVersion: number;
  readonly variant: string;
  readonly model: string;
  readonly requested: number;
  readonly band: readonly [number, number];
  readonly settings: CalibrationSettings;
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
    tokens: { input: sum(attempts.map((a) => a.inputTokens)), output: sum(attempts.map((a) => a.outputTokens)) },
    durationMs: sum(attempts.map((a) => a.durationMs)),
    endings,
    settings: ctx.settings,
    updatedAt: (ctx.now ?? new Date()).toISOString(),
  };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
