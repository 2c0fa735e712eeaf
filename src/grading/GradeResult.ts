import type { Check } from '../runtime/Check.ts';

export type { Check };

/** A grade's possible statuses: `passed` and `failed` are verdicts; `error` is not (the grader or the environment broke). */
export const gradeStatuses = ['passed', 'failed', 'error'] as const;
/** One of `gradeStatuses`. */
export type GradeStatus = (typeof gradeStatuses)[number];

/**
 * The verdict on one workspace. `failed` is the submission's fault; `error` means the grader or the
 * environment broke (or the workspace could not be used at all) and says nothing about the submission.
 */
export interface GradeResult {
  readonly workspace: string;
  readonly task: string;
  readonly taskVersion: number;
  readonly passed: boolean;
  readonly reward: 0 | 1;
  readonly status: GradeStatus;
  readonly feedback: string;
  readonly output: string;
  readonly checks: readonly Check[];
  readonly seed: number;
  readonly durationMs: number;
  /** Present when status is `error`: E_WORKSPACE (unusable workspace) or E_INTERNAL (grader fault). */
  readonly error?: { readonly code: string; readonly message: string };
}
