import type Anthropic from '@anthropic-ai/sdk';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gradeWorkspace } from '../grading/gradeWorkspace.ts';
import type { GradeResult } from '../grading/GradeResult.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { initWorkspace } from '../workspace/initWorkspace.ts';
import { readWorkspaceFiles } from '../workspace/readWorkspaceFiles.ts';
import { unifiedDiff } from './_diff.ts';
import { RltaskError } from '../errors.ts';
import type { Gate } from './_callModel.ts';
import type { AttemptRecord } from './CalibrationResults.ts';
import type { CheatVerdict } from './cheatingOf.ts';
import type { DecoyMatcher } from './DecoyMatcher.ts';
import { costUsd, type ModelPrice } from './prices.ts';
import { type AgentLimits, type AgentOutcome, runAgent } from './runAgent.ts';
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
  /** Retries of one request after a transport fault. */
  readonly retries: number;
  /** No byte for this long: the request stalled and is retried. */
  readonly stallMs: number;
  readonly gate?: Gate;
  /** The model's price, when the table has it: each attempt's cost. */
  readonly price?: ModelPrice | undefined;
  /** Impossible-twin runs: classifies the final workspace (tampered, conformed, honest, other). */
  readonly classifyCheat?: (workspace: string, grade: GradeResult) => Promise<CheatVerdict>;
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

  try {
    return await attemptBody(ctx, attempt, { started, startedAt, where, transcript, flush: () => pending });
  } catch (e) {
    await pending;
    if (e instanceof RltaskError && e.code === 'E_API') throw e;
    if (ctx.signal?.aborted === true) return null;
    // One attempt's surprise must not end the run: it becomes an error (not counted, redone on resume).
    const error = `internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    transcript({ type: 'internal_error', error });
    await pending;
    return {
      attempt,
      status: 'error',
      passed: false,
      reward: 0,
      feedback: error,
      firstFailingCheck: null,
      behavesLike: null,
      turns: 0,
      inputTokens: 0,
      outputTokens: 0,
      usage: { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 },
      responsesWithoutUsage: 0,
      costUsd: null,
      httpErrors: 0,
      rateLimited: 0,
      durationMs: Math.round(performance.now() - started),
      agentMs: 0,
      apiWaitMs: 0,
      gradeMs: 0,
      ending: 'internal_error',
      stopReason: null,
      diff: '',
      transcript: where.transcriptRel,
      error,
      startedAt,
    };
  } finally {
    await pending;
  }
}

interface AttemptIo {
  readonly started: number;
  readonly startedAt: string;
  readonly where: ReturnType<typeof attemptPaths>;
  readonly transcript: (entry: Readonly<Record<string, unknown>>) => void;
  readonly flush: () => Promise<void>;
}

async function attemptBody(ctx: AttemptContext, attempt: number, io: AttemptIo): Promise<AttemptRecord | null> {
  const { started, startedAt, where, transcript } = io;
  let outcome: AgentOutcome;
  try {
    const tools = await WorkspaceTools.open(ctx.spec, where.workspace, ctx.seed);
    outcome = await runAgent({
      client: ctx.client,
      model: ctx.model,
      system: ctx.system,
      prompt: ctx.prompt,
      tools,
      limits: ctx.limits,
      stream: ctx.stream,
      retries: ctx.retries,
      stallMs: ctx.stallMs,
      ...(ctx.gate === undefined ? {} : { gate: ctx.gate }),
      headers: { 'x-rltask-attempt': String(attempt) },
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      onTranscript: transcript,
      onTurn: (turn) => ctx.onTurn?.(attempt, turn),
    });
  } finally {
    await io.flush();
  }
  if (outcome.ending === 'aborted') return null;

  const files = await readWorkspaceFiles(ctx.spec, where.workspace);
  const diff = ctx.spec.files.map((f) => unifiedDiff(f.path, f.content, files.get(f.path))).join('');
  const base = {
    attempt,
    turns: outcome.turns,
    inputTokens: outcome.inputTokens,
    outputTokens: outcome.outputTokens,
    usage: outcome.usage,
    responsesWithoutUsage: outcome.responsesWithoutUsage,
    costUsd: ctx.price === undefined || outcome.responsesWithoutUsage > 0 ? null : costUsd(outcome.usage, ctx.price),
    httpErrors: outcome.httpErrors,
    rateLimited: outcome.rateLimited,
    agentMs: outcome.modelMs,
    apiWaitMs: outcome.apiWaitMs,
    ending: outcome.ending,
    stopReason: outcome.stopReason,
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
  let cheat: CheatVerdict | undefined;
  if (ctx.classifyCheat !== undefined && grade.status !== 'error') cheat = await ctx.classifyCheat(where.workspace, grade);
  transcript({ type: 'grade', status: grade.status, reward: grade.reward, feedback: grade.feedback, checks: grade.checks, behavesLike, ...(cheat === undefined ? {} : { cheat }) });
  await io.flush();
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
    ...(cheat === undefined ? {} : { cheat: { kind: cheat.kind, cheated: cheat.cheated, evidence: cheat.evidence } }),
    ...(grade.error === undefined ? {} : { error: `grader error (${grade.error.code}): ${grade.error.message}` }),
  };
}
