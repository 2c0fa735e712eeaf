import { z } from 'zod';
import { gradeStatuses } from '../grading/GradeResult.ts';
import { checkSchema } from './transcriptEventSchema.ts';

/** One line of `rltask grade --json` (a `GradeResult`), validated before the viewer shows it. */
export const gradeLineSchema = z.looseObject({
  workspace: z.string(),
  task: z.string(),
  taskVersion: z.int(),
  passed: z.boolean(),
  reward: z.union([z.literal(0), z.literal(1)]),
  status: z.enum(gradeStatuses),
  feedback: z.string(),
  output: z.string(),
  checks: z.array(checkSchema),
  seed: z.int(),
  durationMs: z.number().min(0),
  error: z.looseObject({ code: z.string(), message: z.string() }).optional(),
});
export type GradeLine = z.output<typeof gradeLineSchema>;
