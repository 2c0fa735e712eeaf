import { z } from 'zod';

/**
 * One line of a calibration transcript (`transcripts/<n>.jsonl`), as src/calibration/runAttempt.ts and runAgent.ts
 * write it. The viewer reads transcripts of older and newer versions too, so each known kind keeps the fields it
 * shows strict in type but lets extra fields through, and a line of a kind it does not know is kept as `other`.
 */

const ms = z.number().min(0).optional();
const turn = z.int().min(0);

/** A content block of a model response, as the API sent it (unknown block types are kept, shown as JSON). */
export const contentBlockSchema = z.union([
  z.looseObject({ type: z.literal('text'), text: z.string() }),
  z.looseObject({ type: z.literal('thinking'), thinking: z.string() }),
  z.looseObject({ type: z.literal('redacted_thinking') }),
  z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }),
  z.looseObject({ type: z.string() }),
]);
export type ContentBlock = z.output<typeof contentBlockSchema>;

const checkSchema = z.looseObject({
  id: z.string(),
  passed: z.boolean(),
  message: z.string(),
  skipped: z.boolean().optional(),
  counterexample: z.unknown().optional(),
  metrics: z.record(z.string(), z.number()).optional(),
});

/** A transcript line of a kind the viewer shows, told apart by `type`. */
export const transcriptEventSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('attempt'), attempt: z.int(), task: z.string(), startedAt: z.string() }),
  z.looseObject({ type: z.literal('start'), ms, model: z.string(), system: z.string(), prompt: z.string(), tools: z.array(z.string()) }),
  z.looseObject({
    type: z.literal('response'),
    ms,
    turn,
    stop_reason: z.string().nullable(),
    usage: z.looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional() }).nullable().optional(),
    content: z.array(contentBlockSchema),
    note: z.string().optional(),
  }),
  z.looseObject({ type: z.literal('tool'), ms, turn, id: z.string(), name: z.string(), isError: z.boolean(), result: z.string(), truncated: z.boolean().optional() }),
  z.looseObject({ type: z.literal('http_error'), ms, turn, status: z.unknown().optional(), message: z.string().optional(), retry: z.number().optional(), willRetry: z.boolean().optional() }),
  z.looseObject({ type: z.literal('api_error'), ms, turn, status: z.unknown().optional(), message: z.string(), counted: z.string().optional() }),
  z.looseObject({ type: z.literal('end'), ms, ending: z.string(), turns: z.int().optional(), error: z.string().optional() }),
  z.looseObject({
    type: z.literal('grade'),
    status: z.string(),
    reward: z.number(),
    feedback: z.string(),
    checks: z.array(checkSchema),
    behavesLike: z.looseObject({ name: z.string(), basis: z.string() }).nullable().optional(),
    cheat: z.looseObject({ kind: z.string(), cheated: z.boolean(), evidence: z.string() }).optional(),
  }),
  z.looseObject({ type: z.literal('internal_error'), error: z.string() }),
]);

/** A transcript line the viewer understands, or any other JSON object (`other`, shown as it is). */
export type TranscriptEvent = z.output<typeof transcriptEventSchema> | { readonly type: 'other'; readonly line: number; readonly raw: unknown };

/** A grade's check as the transcript and `grade --json` record it. */
export type CheckLine = z.output<typeof checkSchema>;
export { checkSchema };
