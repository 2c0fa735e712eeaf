import { z } from 'zod';
import type { Oracle } from '../src/sandbox/Oracle.ts';

/**
 * What a property knows about the task it belongs to, bound when the task file is loaded (see `bindTask`).
 * Properties that compare against the reference solution (differential testing) need it.
 */
export interface TaskBinding {
  readonly taskId: string;
  /** The subject file as the reference solution leaves it (trusted code, still run in a sandbox). */
  readonly subjectFile: string;
  readonly referenceSource: () => string;
  readonly limits: { readonly timeMs: number; readonly memoryMb: number; readonly outputBytes: number };
}

/** What a property gets to work with: the submission as an oracle, and a seed for everything random. */
export interface PropertyContext {
  readonly oracle: Oracle;
  /** The export under test (a class or a function), from the task's `grader.subject`. */
  readonly subject: string;
  readonly seed: number;
  /** The task the property was loaded from; absent when a property is run on its own (e.g. in a unit test). */
  readonly task?: TaskBinding;
}

export interface CheckOutcome {
  readonly passed: boolean;
  readonly message: string;
  /** Enough to reproduce a failure: the (shrunk) generated values. */
  readonly counterexample?: unknown;
  /** Figures worth reporting even on success (e.g. the largest sample size used). */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** A property selected and configured in YAML, with its parameters already validated. */
export interface BoundProperty {
  readonly id: string;
  readonly use: string;
  readonly summary: string;
  /** Upper bound on the probability that a correct submission fails this property in one grade. */
  readonly falseRejectBound: number;
  run(ctx: PropertyContext): Promise<CheckOutcome>;
}

/** Where a contract's `check` reports problems: a message and the key path inside the property's entry. */
export type IssueSink = (message: string, path?: readonly (string | number)[]) => void;

export interface PropertyContract<Name extends string, Shape extends z.ZodRawShape> {
  readonly name: Name;
  readonly summary: string;
  readonly params: z.ZodObject<Shape>;
  /** Per-grade false-reject bound for these parameters; omit for exact (non-statistical) properties. */
  readonly falseRejectBound?: (params: z.output<z.ZodObject<Shape>>) => number;
  /** Cross-field validation of the parameters (reported at load time, with the key path, like a typo). */
  readonly check?: (params: z.output<z.ZodObject<Shape>>, issues: IssueSink) => void;
  run(ctx: PropertyContext, params: z.output<z.ZodObject<Shape>>): Promise<CheckOutcome>;
}

/**
 * Declare a reusable property contract. Its `item` schema is what a task's `grader.properties` entry is
 * validated against: `use: <name>`, an optional `id`, and the contract's own parameters (unknown keys are
 * errors, so a typo in a parameter name is caught when the task is loaded).
 *
 * @example
 * export const evalIdentity = defineProperty({
 *   name: 'eval-identity', summary: 'eval() makes forward() the identity',
 *   params: z.strictObject({ p: z.number().default(0.5) }),
 *   run: async (ctx, { p }) => ({ passed: true, message: `ok at p = ${p}` }),
 * });
 */
const label = z.looseObject({ use: z.string(), id: z.string().optional() });

export function defineProperty<Name extends string, Shape extends z.ZodRawShape>(contract: PropertyContract<Name, Shape>) {
  const item = contract.params
    .extend({ use: z.literal(contract.name), id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/).optional() })
    .strict()
    // Shown by editors through the generated JSON Schema.
    .describe(`${contract.name}: ${contract.summary}`)
    .superRefine((value, ctx) => {
      if (contract.check === undefined) return;
      const { use: _use, id: _id, ...rest } = label.parse(value);
      const params = contract.params.safeParse(rest);
      // Only well-formed parameters are cross-checked; malformed ones already have their own issues.
      if (params.success) contract.check(params.data, (message, path = []) => ctx.addIssue({ code: 'custom', message, path: [...path] }));
    })
    .transform((value: unknown): BoundProperty => {
      // Split the validated entry into its label and the contract's own parameters (re-parsed, not cast).
      const { use, id, ...rest } = label.parse(value);
      const params = contract.params.parse(rest);
      return {
        id: id ?? use,
        use,
        summary: contract.summary,
        falseRejectBound: contract.falseRejectBound?.(params) ?? 0,
        run: (ctx) => contract.run(ctx, params),
      };
    });
  return { ...contract, item };
}
