import { z } from 'zod';
import { toolInputs, type ToolName } from '../calibration/WorkspaceTools.ts';
import { gradeStatuses } from '../grading/GradeResult.ts';
import type { ServedGrade } from './ServerContext.ts';

/**
 * OpenEnv's WebSocket error codes (`WSErrorCode` in openenv/core/env_server/types.py). FACTORY_ERROR is not
 * used here: a session has no environment factory that could fail.
 */
export const wsErrorCodes = ['INVALID_JSON', 'UNKNOWN_TYPE', 'VALIDATION_ERROR', 'EXECUTION_ERROR', 'CAPACITY_REACHED', 'SESSION_ERROR'] as const;
/** One of `wsErrorCodes`. */
export type WsErrorCode = (typeof wsErrorCodes)[number];

/** The message types a client may send; anything else is UNKNOWN_TYPE, as in OpenEnv. */
export const clientMessageTypes = ['reset', 'step', 'state', 'close'] as const;

const seed = z.int().min(0).max(0x7fffffff);

/**
 * `reset`'s data (OpenEnv passes it as keyword arguments to `Environment.reset`). Keys a reset does not take are
 * dropped rather than refused, as OpenEnv drops keyword arguments the environment's `reset` does not declare;
 * `null` counts as absent because Python clients send `seed=None`.
 */
export const resetData = z.object({
  task: z.string().min(1).nullish().describe('The task id; optional when the server serves exactly one task'),
  variant: z.string().min(1).nullish().describe('A prompt variant of the task; the top-level prompt when absent'),
  seed: seed.nullish().describe("The seed of the visible tests and of the grade; the task's grader.seed when absent"),
  episode_id: z.string().min(1).max(255).nullish().describe('An id for the episode; a random UUID when absent'),
});
/** A validated `reset` data object. */
export type ResetData = z.infer<typeof resetData>;

/** OpenEnv's `Action` base class carries `metadata`; a client that dumps a typed action sends it along. */
const metadata = z.record(z.string(), z.unknown()).optional().describe('Ignored; accepted because OpenEnv actions carry it');

function toolAction<N extends ToolName>(name: N) {
  return z.strictObject({ tool: z.literal(name), metadata }).extend(toolInputs[name].shape);
}

/** `step`'s data: the action itself (not wrapped in `{action: …}`, which is OpenEnv's HTTP `/step` body). */
export const action = z.discriminatedUnion('tool', [
  toolAction('list_files'),
  toolAction('read_file'),
  toolAction('write_file'),
  toolAction('str_replace'),
  toolAction('run_tests'),
  z.strictObject({ tool: z.literal('submit'), metadata }).describe('Grade the workspace and end the episode'),
]);
/** A validated action. */
export type Action = z.infer<typeof action>;

/** Extra keys are refused, as OpenEnv's messages forbid them; `state` and `close` tolerate a `data` they ignore. */
export const clientMessage = {
  reset: z.strictObject({ type: z.literal('reset'), data: resetData.default({}) }),
  step: z.strictObject({ type: z.literal('step'), data: action }),
  state: z.strictObject({ type: z.literal('state'), data: z.unknown().optional() }),
  close: z.strictObject({ type: z.literal('close'), data: z.unknown().optional() }),
} as const;

const toolSchema = z.object({
  name: z.string(),
  description: z.string(),
  input_schema: z.record(z.string(), z.unknown()),
});

/** What `reset` observes: the task's prompt, the workspace's files and the tools (Messages API shape). */
export const resetObservation = z.object({
  prompt: z.string(),
  files: z.array(z.string()).describe('Workspace-relative paths of the files the workspace starts with'),
  tools: z.array(toolSchema).describe("The actions, as tool definitions: name, description and the input's JSON Schema"),
});
/** A reset observation. */
export type ResetObservation = z.infer<typeof resetObservation>;

/** What a `step` observes: the tool's output; after `submit`, the grade; at the step limit, why the episode ended. */
export const stepObservation = z.object({
  tool: z.string(),
  output: z.string(),
  is_error: z.boolean(),
  grade: z
    .looseObject({ status: z.enum(gradeStatuses), reward: z.union([z.literal(0), z.literal(1)]), passed: z.boolean(), feedback: z.string() })
    .optional()
    .describe("After submit: the grader's GradeResult with its provenance"),
  reason: z.string().optional().describe('Why the episode ended without a submit (the step limit)'),
});
/** A step observation; its grade is the server's own, which the schema above only outlines. */
export type StepObservation = Omit<z.infer<typeof stepObservation>, 'grade'> & { grade?: ServedGrade };

/** The session's state (`state` message); `episode_id` and `task` are null before the first reset. */
export const sessionState = z.object({
  episode_id: z.string().nullable(),
  step_count: z.int().min(0),
  task: z.string().nullable(),
  done: z.boolean(),
});
/** A session state. */
export type SessionState = z.infer<typeof sessionState>;

/** `GET /schema`: OpenEnv's SchemaResponse keys. */
export function envSchemas(): { action: unknown; observation: unknown; state: unknown } {
  return {
    action: z.toJSONSchema(action),
    observation: z.toJSONSchema(z.union([resetObservation, stepObservation])),
    state: z.toJSONSchema(sessionState),
  };
}

/** Zod issues in the shape of pydantic's `ValidationError.errors()`, which OpenEnv sends as `errors`. */
export function issuesOf(error: z.ZodError): { loc: (string | number)[]; msg: string; type: string }[] {
  return error.issues.map((i) => ({ loc: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), msg: i.message, type: i.code }));
}

/** One line naming each failing field, for an error's `message`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(data)'}: ${i.message}`).join('; ');
}
