import { resolveProperty } from '../../properties/registry.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { deriveSeed } from './deriveSeed.ts';
import { gradeCase, type TaskCase, taskCases } from './gradeCases.ts';
import type { GradeResult } from './GradeResult.ts';
import type { GradeOptions } from './gradeWorkspace.ts';

/** One case of a self-test (the bug, the reference, a decoy): its grade and whether the verdict is the expected one. */
export interface CaseOutcome {
  readonly case: TaskCase;
  readonly result: GradeResult;
  /** The verdict is the expected one (and not a grader error). */
  readonly ok: boolean;
}

/** The re-grades of a self-test: false rejects and accepts next to the bound the statistics promise. */
export interface RegradeOutcome {
  readonly runs: number;
  /** Reference solution graded `failed` (the grader's false-reject count). */
  readonly falseRejects: number;
  /** Bug graded `passed` (false-accept count). */
  readonly falseAccepts: number;
  /** Grades that ended in `error`. */
  readonly errors: number;
  /** What the statistics promise: the per-grade false-reject bound times the number of runs. */
  readonly expectedFalseRejects: number;
  /** Every false reject, false accept and error, with the seed that reproduces it (`grade --seed`). */
  readonly misses: readonly RegradeMiss[];
}

/** A re-grade whose verdict was wrong, with its seed (to replay it). */
export interface RegradeMiss {
  readonly kind: 'false reject' | 'false accept' | 'error';
  readonly seed: number;
  readonly feedback: string;
}

/** What `selfTest` found: every case's outcome, the re-grades and the warnings. */
export interface SelfTest {
  readonly ok: boolean;
  readonly cases: readonly CaseOutcome[];
  readonly regrade: RegradeOutcome;
  /**
   * Problems of the task that do not fail the self-test: a decoy that every property passes, rejected only by a
   * static check (it behaves exactly like the reference wherever the grader looks at behaviour).
   */
  readonly warnings: readonly string[];
}

/** How to self-test: grade options, plus how many re-grades with fresh seeds. */
export interface SelfTestOptions extends GradeOptions {
  /** Re-grades of the reference and of the bug with fresh seeds (default 20). */
  readonly regrades?: number;
  readonly onCase?: (c: CaseOutcome) => void;
  readonly onRegrade?: (done: number, total: number) => void;
}

/** Upper bound on P(reference fails) for one grade, from the statistical properties' parameters. */
export function falseRejectBound(spec: TaskSpec): number {
  return spec.grader.properties.reduce((sum, p) => sum + resolveProperty(p).falseRejectBound, 0);
}

/**
 * The warning for a decoy that fails, but on no property: every property ran and passed. Not for a decoy of the
 * `visible-tests` family, which is there to show that only the visible tests see it.
 */
function decoyWarning(spec: TaskSpec, c: CaseOutcome): string | undefined {
  if (c.case.kind !== 'decoy' || c.result.status !== 'failed' || spec.grader.properties.length === 0) return undefined;
  if (spec.decoys.find((d) => d.name === c.case.name)?.family === 'visible-tests') return undefined;
  const byId = new Map(c.result.checks.map((k) => [k.id, k]));
  const behavesLikeReference = spec.grader.properties.every((p) => {
    const k = byId.get(p.id);
    return k !== undefined && k.passed && k.skipped !== true;
  });
  if (!behavesLikeReference) return undefined;
  const failing = c.result.checks.filter((k) => !k.passed && k.skipped !== true).map((k) => k.id);
  return `decoy "${c.case.name}" passes all ${spec.grader.properties.length} properties, like the reference; only ${failing.join(', ')} rejects it, so no property tells its behaviour from the fix's`;
}

/**
 * A task's self-test: the bug fails, the reference passes, every decoy fails, and re-grading the reference and
 * the bug with fresh seeds gives no false rejects or false accepts.
 */
export async function selfTest(spec: TaskSpec, options: SelfTestOptions = {}): Promise<SelfTest> {
  const seed = options.seed ?? spec.grader.seed;
  const cases: CaseOutcome[] = [];
  for (const c of taskCases(spec)) {
    const result = await gradeCase(spec, c, { ...options, seed });
    const outcome = { case: c, result, ok: result.status === (c.expect === 'pass' ? 'passed' : 'failed') };
    cases.push(outcome);
    options.onCase?.(outcome);
  }
  const runs = options.regrades ?? 20;
  const [bug, reference] = taskCases(spec) as [TaskCase, TaskCase];
  let falseRejects = 0;
  let falseAccepts = 0;
  let errors = 0;
  const misses: RegradeMiss[] = [];
  for (let i = 0; i < runs; i++) {
    const s = deriveSeed(seed, `regrade-${i}`);
    // The bug's verdict is all a re-grade needs of it, and fail-fast gives the same verdict at a fraction of the cost.
    const [ref, b] = await Promise.all([gradeCase(spec, reference, { ...options, seed: s }), gradeCase(spec, bug, { ...options, seed: s, failFast: true })]);
    if (ref.status === 'failed') falseRejects++;
    if (b.status === 'passed') falseAccepts++;
    errors += (ref.status === 'error' ? 1 : 0) + (b.status === 'error' ? 1 : 0);
    if (ref.status !== 'passed') misses.push({ kind: ref.status === 'failed' ? 'false reject' : 'error', seed: s, feedback: ref.feedback });
    if (b.status !== 'failed') misses.push({ kind: b.status === 'passed' ? 'false accept' : 'error', seed: s, feedback: b.feedback });
    options.onRegrade?.(i + 1, runs);
  }
  const regrade = { runs, falseRejects, falseAccepts, errors, expectedFalseRejects: runs * falseRejectBound(spec), misses };
  const warnings = cases.flatMap((c) => decoyWarning(spec, c) ?? []);
  return { ok: cases.every((c) => c.ok) && falseRejects === 0 && falseAccepts === 0 && errors === 0, cases, regrade, warnings };
}
