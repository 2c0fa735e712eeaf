import type { z } from 'zod';
import { policy } from './checks/policy.ts';
import { samePublicApi } from './checks/samePublicApi.ts';
import { usesSqrt } from './checks/usesSqrt.ts';
import type { RuntimeName } from './runtimeNames.ts';

/**
 * The static checks: one definition per file in ./checks/ (data only: importing this registry loads no compiler),
 * implemented per runtime in ./<runtime>/checks/.
 */

/** The checks a task may list under `grader.ast`. */
const configurable = [samePublicApi, usesSqrt] as const;

/** Every registered static check: the always-on one first, as a grade runs them. */
export const staticCheckDefinitions = [policy, ...configurable] as const;

/** A registered check's definition, as `defineStaticCheck` returned it. */
export type StaticCheckDefinition = (typeof staticCheckDefinitions)[number];

/** The item schemas of the configurable checks, for the task schema's `z.discriminatedUnion('check', …)`. */
export const staticCheckItems = [samePublicApi.item, usesSqrt.item] as const;

/** A configured static check as the task schema parses it: `{ check, file?, …params }`. */
export type StaticCheckSpec = z.output<(typeof staticCheckItems)[number]>;

type ForRuntime<D, R extends RuntimeName> = D extends { readonly runtimes: readonly (infer Supported)[]; readonly item: infer Item extends z.ZodType }
  ? R extends Supported
    ? z.output<Item>
    : never
  : never;

/** The configured checks that runtime `R` implements (what its `runStaticChecks` accepts). */
export type StaticCheckSpecFor<R extends RuntimeName> = ForRuntime<(typeof configurable)[number], R>;

/**
 * The id a grade reports for compiling the submission. The compile step is no check file, but its result sits
 * among the static checks', before the policy.
 */
export const COMPILE_CHECK_ID = 'compile';

/** The ids every grade's static half reports, whatever the task configures: compiling, then the policy. */
export const alwaysOnCheckIds: readonly string[] = [COMPILE_CHECK_ID, policy.check];

/** An id a static step's result is reported under. */
export type StaticCheckId = typeof COMPILE_CHECK_ID | StaticCheckDefinition['check'];

/** Every id a static step reports under: `compile`, then each registered check. */
export const staticCheckIds: readonly StaticCheckId[] = [COMPILE_CHECK_ID, ...staticCheckDefinitions.map((d) => d.check)];

/**
 * The ids of results decided from the source alone, without running it: a grade's feedback names a failing
 * behaviour check (a property's counterexample) before one of these.
 */
export const STATIC_IDS: ReadonlySet<string> = new Set(staticCheckIds);

/** The registered check named `name` (configurable or not). */
export function staticCheckNamed(name: string): StaticCheckDefinition | undefined {
  return staticCheckDefinitions.find((d) => d.check === name);
}
