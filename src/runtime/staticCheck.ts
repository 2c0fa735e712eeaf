import { z } from 'zod';
import { relativePath } from '../relativePath.ts';
import type { RuntimeName } from './runtimeNames.ts';

/** What a static check decides about a submission. */
export interface StaticCheckOutcome {
  readonly passed: boolean;
  readonly message: string;
}


/** What a static check declares about itself (see `defineStaticCheck`). */
export interface StaticCheckContract<Name extends string, Shape extends z.ZodRawShape, Runtimes extends readonly RuntimeName[]> {
  /** The check's id: its `check:` value in a task's `grader.ast` and its id in grade reports. */
  readonly check: Name;
  readonly summary: string;
  /** The check's own parameters, beside `check` and `file`. */
  readonly params: z.ZodObject<Shape>;
  /** The runtimes with an implementation of it (src/runtime/<runtime>/checks/, same file name). */
  readonly runtimes: Runtimes;
  /** False for a check that every grade runs and a task cannot list (the permissions policy). Default true. */
  readonly configurable?: boolean;
}

/**
 * Declare a static check: a verdict read from the submission's source, without running it. This is the
 * language-neutral half, plain data, so that the task schema can list the checks without loading a compiler;
 * each runtime in `runtimes` implements it in a file of the same name under src/runtime/<runtime>/checks/.
 *
 * Its `item` schema is what a task's `grader.ast` entry is validated against: `check: <name>`, an optional
 * `file` (default: the subject's file) and the check's own parameters. Unknown keys are errors, so that a typo
 * is caught when the task is loaded, and the parsed entry is plain data (`{ check, file?, …params }`).
 *
 * @example
 * export const usesSqrt = defineStaticCheck({
 *   check: 'uses-sqrt', summary: 'the subject computes a square root in code',
 *   params: z.strictObject({ in: z.string().optional() }),
 *   runtimes: ['typescript'] as const,
 * });
 */
export function defineStaticCheck<Name extends string, Shape extends z.ZodRawShape, Runtimes extends readonly RuntimeName[]>(contract: StaticCheckContract<Name, Shape, Runtimes>) {
  const item = z
    .strictObject({
      check: z.literal(contract.check),
      file: relativePath.optional().describe("The editable file to check (default: the subject's file)."),
      ...contract.params.shape,
    })
    // Shown by editors through the generated JSON Schema.
    .describe(`${contract.check}: ${contract.summary}`);
  return { ...contract, configurable: contract.configurable ?? true, item };
}
