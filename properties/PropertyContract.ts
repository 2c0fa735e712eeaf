import { z } from 'zod';
import type { Oracle } from '../src/sandbox/Oracle.ts';

/**
 * The task's reference solution, for properties that compare against it (differential testing): loaded in a
 * sandbox of its own with the task's limits, started by the grade on first use and stopped at its end.
 */
export interface ReferenceSolution {
  /** The task's id, for messages. */
  readonly taskId: string;
  /** Identifies the reference solution (subject file and source): a key for caches that outlive one grade. */
  readonly key: string;
  /** The reference solution as an oracle. Throws a task error (`E_SPEC`) when it does not compile or load. */
  oracle(): Promise<Oracle>;
}

/** What a property gets to work with: the submission as an oracle, and a seed for everything random. */
export interface PropertyContext {
  readonly oracle: Oracle;
  /** The export under test (a class or a function), from the task's `grader.subject`. */
  readonly subject: string;
  readonly seed: number;
  /** The task's reference solution; absent when a property is run on its own (e.g. in a unit test). */
  readonly reference?: ReferenceSolution;
}

/** A property's result for one grade. */
export interface CheckOutcome {
  readonly passed: boolean;
  readonly message: string;
  /** Enough to reproduce a failure: the (shrunk) generated values. */
  readonly counterexample?: unknown;
  /** Figures worth reporting even on success (e.g. the largest sample size used). */
  readonly metrics?: Readonly<Record<string, number>>;
}

/**
 * A property as a task file selects it: plain data (the contract's name, the check's id, the validated
 * parameters). Grading resolves it through the registry (`resolveProperty`).
 */
export interface PropertySpec {
  readonly use: string;
  readonly id: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A property resolved for grading: its contract's behaviour with the spec's parameters. */
export interface ResolvedProperty {
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

const label = z.looseObject({ use: z.string(), id: z.string().optional() });

/**
 * Declare a reusable property contract. Its `item` schema is what a task's `grader.properties` entry is
 * validated against: `use: <name>`, an optional `id`, and the contract's own parameters (unknown keys are
 * errors, so a typo in a parameter name is caught when the task is loaded). An entry parses to a plain
 * `PropertySpec`; `resolve(spec)` gives its behaviour for grading (the registry's `resolveProperty` calls it), and
 * `bind(entry)` does both at once, for running a property on its own.
 *
 * @example
 * export const evalIdentity = defineProperty({
 *   name: 'eval-identity', summary: 'eval() makes forward() the identity',
 *   params: z.strictObject({ p: z.number().default(0.5) }),
 *   run: async (ctx, { p }) => ({ passed: true, message: `ok at p = ${p}` }),
 * });
 */
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
    .transform((value: unknown): PropertySpec => {
      // Split the validated entry into its label and the contract's own parameters (re-parsed, not cast).
      const { use, id, ...rest } = label.parse(value);
      return { use, id: id ?? use, params: contract.params.parse(rest) };
    });
  const resolved = new WeakMap<PropertySpec, ResolvedProperty>();
  /** This contract's behaviour for a spec its `item` produced (its parameters parsed again: typed, not cast). */
  const resolve = (spec: PropertySpec): ResolvedProperty => {
    let r = resolved.get(spec);
    if (r === undefined) {
      const params = contract.params.parse(spec.params);
      r = { id: spec.id, use: spec.use, summary: contract.summary, falseRejectBound: contract.falseRejectBound?.(params) ?? 0, run: (ctx) => contract.run(ctx, params) };
      resolved.set(spec, r);
    }
    return r;
  };
  /** Validate a `grader.properties` entry and resolve it in one go (for running a property on its own). */
  const bind = (entry: unknown): ResolvedProperty => resolve(item.parse(entry));
  return { ...contract, item, resolve, bind };
}
