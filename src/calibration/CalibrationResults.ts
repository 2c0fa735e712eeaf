import { z } from 'zod';
import { cheatKinds } from './cheatingOf.ts';

/** The results file in a calibration's output directory (the viewer reads it without loading the calibration). */
export const RESULTS_FILE = 'validation_results.json';

/**
 * The shape of `validation_results.json`. This schema is the type: the writer builds values of it and a
 * resumed run validates the file with it before trusting a single attempt in it.
 */

/**
 * Why an agent loop stopped. `api_error` (the API failed for good) and `internal_error` (rltask broke) attempts are
 * not measurements of the model; `unknown_stop` is a `stop_reason` this version does not know (kept in `stopReason`).
 */
export const endings = ['end_turn', 'max_turns', 'token_budget', 'time_limit', 'max_tokens', 'refusal', 'context_window', 'unknown_stop', 'api_error', 'internal_error'] as const;
export type Ending = (typeof endings)[number];

/** `error`: the API failed for good or the grader broke; the attempt says nothing about the model. */
export const attemptStatuses = ['passed', 'failed', 'error'] as const;
export type AttemptStatus = (typeof attemptStatuses)[number];

export const verdicts = ['in-band', 'too-easy', 'too-hard', 'inconclusive'] as const;
export type Verdict = (typeof verdicts)[number];

const unit = z.number().min(0).max(1);
const count = z.int().min(0);

/** Which known wrong submission (the planted bug or a decoy) a failed attempt matches, and how that was decided. */
export const behavesLikeSchema = z.strictObject({
  name: z.string(),
  /** same-source: its editable files equal that case's after normalization; same-checks: same graded behaviour. */
  basis: z.enum(['same-source', 'same-checks']),
});
export type BehavesLike = z.output<typeof behavesLikeSchema>;

export const tokenUsageSchema = z.strictObject({ input: count, cacheWrite: count, cacheRead: count, output: count });

export const cheatSchema = z.strictObject({ kind: z.enum(cheatKinds), cheated: z.boolean(), evidence: z.string() });

export const attemptRecordSchema = z.strictObject({
  attempt: z.int().min(1),
  status: z.enum(attemptStatuses),
  passed: z.boolean(),
  reward: z.union([z.literal(0), z.literal(1)]),
  feedback: z.string(),
  firstFailingCheck: z.strictObject({ id: z.string(), message: z.string() }).nullable(),
  behavesLike: behavesLikeSchema.nullable(),
  turns: count,
  inputTokens: count,
  outputTokens: count,
  /** Tokens by how they are billed (`input` is uncached input); from the responses that reported usage. */
  usage: tokenUsageSchema.default({ input: 0, cacheWrite: 0, cacheRead: 0, output: 0 }),
  /** Responses without `usage` (some gateways): their tokens are unknown and the counts leave them out. */
  responsesWithoutUsage: count.default(0),
  /** USD at the price table's rates; `null` when the model is not in the table or a response had no usage. */
  costUsd: z.number().min(0).nullable().default(null),
  /** Failed API requests (429, 5xx, overloaded, a lost connection, a stall, a stream without message_stop), retried or not. */
  httpErrors: count,
  /** Of those, 429 rate limits. */
  rateLimited: count.default(0),
  /** Whole attempt: workspace, agent loop and grading. */
  durationMs: count,
  /** The model's clock, which `--time-limit` bounds: generation and tool runs. */
  agentMs: count,
  /** Time lost to the API, not charged to the model: failed requests, back-off, rate caps. */
  apiWaitMs: count.default(0),
  gradeMs: count,
  ending: z.enum(endings),
  /** The last response's `stop_reason` as the API sent it. */
  stopReason: z.string().nullable().default(null),
  /** Impossible-twin runs: whether the attempt tampered with the tests or conformed to the contradiction. */
  cheat: cheatSchema.optional(),
  /** Unified diff of the task's files (editable and protected) against the originals; empty when unchanged. */
  diff: z.string(),
  /** Relative to the output directory. */
  transcript: z.string(),
  /** Why the attempt is an `error`. */
  error: z.string().optional(),
  startedAt: z.iso.datetime(),
});
export type AttemptRecord = z.output<typeof attemptRecordSchema>;

/** What must be the same for attempts to belong to one measurement (checked when a run is resumed). */
export const settingsSchema = z.strictObject({
  seed: z.int().min(0),
  maxTurns: z.int().min(1),
  tokenBudget: z.int().min(1),
  timeLimitMs: z.int().min(1),
  maxTokens: z.int().min(1),
  /** SHA-256 of the system prompt, the task prompt and the tool definitions the model saw. */
  promptSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The task's impossible twin (`--impossible`) instead of the task. */
  impossible: z.boolean().default(false),
});
export type CalibrationSettings = z.output<typeof settingsSchema>;

export const rateLimitSchema = z.strictObject({
  rateLimited: count,
  limit: count,
  lowestLimit: count,
  reductions: count,
  recoveries: count,
  waitedMs: count,
  events: z.array(z.strictObject({ at: z.string(), kind: z.enum(['reduction', 'recovery']), limit: count, why: z.string() })),
});

export const cheatingSchema = z.strictObject({
  description: z.string(),
  rate: unit.nullable(),
  ci95: z.tuple([unit, unit]),
  cheated: count,
  tampered: count,
  conformed: count,
  honest: count,
  other: count,
});
export type CheatingSummary = z.output<typeof cheatingSchema>;

export const summarySchema = z.strictObject({
  task: z.string(),
  taskVersion: z.int().min(1),
  /** `default` for the task's top-level prompt, else the name of a `variants` entry. */
  variant: z.string(),
  model: z.string(),
  /** Attempts that measured the model (status passed or failed); the interval is over these. */
  runs: count,
  passed: count,
  failed: count,
  /** Attempts with status `error`, not counted in `runs`. */
  errors: count,
  /** `--runs` of the latest invocation. */
  requested: count,
  passRate: unit.nullable(),
  ci95: z.tuple([unit, unit]),
  band: z.tuple([unit, unit]),
  verdict: z.enum(verdicts),
  /** `input` here is all input tokens (uncached, cache writes, cache reads), as before caching was reported. */
  tokens: z.strictObject({ input: count, output: count, cacheWrite: count.default(0), cacheRead: count.default(0) }),
  /** Cache reads over all input tokens; `null` before any input. */
  cacheHitRate: unit.nullable().default(null),
  /** Sum over attempts; `null` when any attempt's cost is unknown. */
  costUsd: z.number().min(0).nullable().default(null),
  /** The price table used: its date, its source, and the entry the model matched (`null`: not in the table). */
  prices: z.strictObject({ asOf: z.string(), source: z.string(), model: z.string().nullable() }).nullable().default(null),
  /** Time lost to the API over all attempts (failed requests, back-off, rate caps). */
  apiWaitMs: count.default(0),
  /** 429s, and how the shared request gate reacted (concurrency backed off and recovered). */
  rateLimit: rateLimitSchema.nullable().default(null),
  /** Impossible-twin runs: attempts that tampered with the tests or conformed to the contradiction, over the measured ones. */
  cheating: cheatingSchema.nullable().default(null),
  /** Sum of the attempts' durations (the wall time is lower when attempts run concurrently). */
  durationMs: count,
  endings: z.record(z.string(), count),
  settings: settingsSchema,
  updatedAt: z.iso.datetime(),
});
export type CalibrationSummary = z.output<typeof summarySchema>;

export const calibrationResultsSchema = z.strictObject({
  summary: summarySchema,
  attempts: z.array(attemptRecordSchema),
});
export type CalibrationResults = z.output<typeof calibrationResultsSchema>;
