import { z } from 'zod';

/**
 * The shape of `validation_results.json`. This schema is the type: the writer builds values of it and a
 * resumed run validates the file with it before trusting a single attempt in it.
 */

/** Why an agent loop stopped. `api_error` attempts are not measurements of the model. */
export const endings = ['end_turn', 'max_turns', 'token_budget', 'time_limit', 'max_tokens', 'refusal', 'context_window', 'api_error'] as const;
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
  /** Failed API responses (429, 5xx, overloaded, a broken stream), including those a retry recovered from. */
  httpErrors: count,
  /** Whole attempt: workspace, agent loop and grading. */
  durationMs: count,
  agentMs: count,
  gradeMs: count,
  ending: z.enum(endings),
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
});
export type CalibrationSettings = z.output<typeof settingsSchema>;

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
  tokens: z.strictObject({ input: count, output: count }),
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
