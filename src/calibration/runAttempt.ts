import type Anthropic from '@anthropic-ai/sdk';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gradeWorkspace } from '../grading/gradeWorkspace.ts';
import type { GradeResult } from '../grading/GradeResult.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { initWorkspace } from '../workspace/initWorkspace.ts';
import { readWorkspaceFiles } from '../workspace/readWorkspaceFiles.ts';
import { unifiedDiff } from './_diff.ts';
import type { AttemptRecord } from './CalibrationResults.ts';
import type { DecoyMatcher } from './DecoyMatcher.ts';
import { type AgentLimits, runAgent } from './runAgent.ts';
import { WorkspaceTools } from './WorkspaceTools.ts';

/** Everything one attempt needs; shared by all attempts of a calibration. */
export interface AttemptContext {
  readonly spec: TaskSpec;
  readonly outDir: string;
  readonly client: Anthropic;
  readonly model: string;
  readonly system: string;
  readonly prompt: string;
  readonly limits: AgentLimits;
  readonly stream: boolean;
  /** Grading seed (also the visible tests' seed), the same for every attempt. */
  readonly seed: number;
  readonly decoys: DecoyMatcher;
  readonly signal?: AbortSignal;
  readonly onTurn?: (attempt: number, turn: number) => void;
}

/** `workspaces/<n>` and `transcripts/<n>.jsonl` inside the output directory. */
export function attemptPaths(outDir: string, attempt: number): { workspace: string; transcript: string; transcriptRel: string } {
  const transcriptRel = `transcripts/${attempt}.jsonl`;
  return { workspace: path.join(outDir, 'workspaces', String(attempt)), transcript: path.join(outDir, transcriptRel), transcriptRel };
}

/** The failing check the grader's feedback names (behaviour before style), if any. */
function firstFailing(r: GradeResult): AttemptRecord['firstFailingCheck'] {
  const failing = r.checks.filter((c) => !c.passed && c.skipped !== true);
  const named = failing.find((c) => r.feedback.startsWith(`${c.id}: `)) ?? failing[0];
  return named === undefined ? null : { id: named.id, message: named.message };
}

/**
 * One calibration attempt: a fresh workspace, the agent loop, then the grader. Returns the attempt's record,
 * or `null` when it was aborted (it is then not finished and a resumed run does it again). Throws E_API on a
 * fatal API refusal (bad key), which stops the whole calibration.
 */
export async function runAttempt(ctx: AttemptContext, attempt: number): Promise<AttemptRecord | null> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const where = attemptPaths(ctx.outDir, attempt);
  await rm(where.workspace, { recursive: true, force: true });
  await initWorkspace(ctx.spec, where.workspace);
  await mkdir(path.dirname(where.transcript), { recursive: true });
  await writeFile(where.transcript, '');
  // Appends are chained so lines land in order even though tool runs and writes interleave.
  let pending: Promise<void> = Promise.resolve();
  const transcript = (entry: Readonly<Record<string, unknown>>): void => {
    const line = `${JSON.stringify(entry)}\n`;
    pending = pending.then(() => appendFile(where.transcript, line));
  };
  transcript({ type: 'attempt', attempt, task: ctx.spec.id, startedAt });

  const tools = await WorkspaceTools.open(ctx.spec, where.workspace, ctx.seed);
  let outcome;
  try {
    outcome = await runAgent({
      client: ctx.client,
      model: ctx.model,
      system: ctx.system,
      prompt: ctx.prompt,
      tools,
      limits: ctx.limits,
      stream: ctx.stream,
      headers: { 'x-rltask-attempt': String(attempt) },
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      onTranscript: transcript,
      onTurn: (turn) => ctx.onTurn?.(attempt, turn),
    });
  } finally {
    await pending;
  }
  if (outcome.ending === 'aborted') return null;
  const agentMs = Math.round(performance.now() - started);

  const files = await readWorkspaceFiles(ctx.spec, where.workspace);
  const diff = ctx.spec.files.map((f) => unifiedDiff(f.path, f.content, files.get(f.path))).join('');
  const base = {
    attempt,
    turns: outcome.turns,
    inputTokens: outcome.inputTokens,
    outputTokens: outcome.outputTokens,
    httpErrors: outcome.httpErrors,
    agentMs,
    ending: outcome.ending,
    diff,
    transcript: where.transcriptRel,
    startedAt,
  };
  if (outcome.ending === 'api_error') {
    const error = `the API failed for good: ${outcome.error ?? 'unknown error'}`;
    return { ...base, status: 'error', passed: false, reward: 0, feedback: error, firstFailingCheck: null, behavesLike: null, durationMs: Math.round(performance.now() - started), gradeMs: 0, error };
  }

  const gradeStarted = performance.now();
  const grade = await gradeWorkspace(ctx.spec, where.workspace, { seed: ctx.seed, label: `attempt ${attempt}` });
  const gradeMs = Math.round(performance.now() - gradeStarted);
  // An interrupt kills every sandbox, which would look like a crashing submission: such a grade is not kept.
  if (ctx.signal?.aborted === true) return null;
  let behavesLike: AttemptRecord['behavesLike'] = null;
  if (grade.status === 'failed') {
    try {
      behavesLike = await ctx.decoys.match(files, grade.checks);
    } catch {
      // Matching is a diagnosis, not the measurement: a failure here leaves it unknown.
    }
  }
  transcript({ type: 'grade', status: grade.status, reward: grade.reward, feedback: grade.feedback, checks: grade.checks, behavesLike });
  await pending;
  return {
    ...base,
    status: grade.status,
    passed: grade.passed,
    reward: grade.reward,
    feedback: grade.feedback,
    firstFailingCheck: firstFailing(grade),
    behavesLike,
    durationMs: Math.round(performance.now() - started),
    gradeMs,
    ...(grade.error === undefined ? {} : { error: `grader error (${grade.error.code}): ${grade.error.message}` }),
  };
}
