import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { callSpecsOf, firstDifference } from '../../properties/index.ts';
import { RltaskError } from '../errors.ts';
import { caseContents, taskCases } from '../grading/gradeCases.ts';
import type { GradeResult } from '../grading/GradeResult.ts';
import { gradeMany } from '../grading/gradeMany.ts';
import type { Compiled } from '../runtime/Runtime.ts';
import { runtimeFor } from '../runtime/registry.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import type { AuditProgram, Mutant } from './AuditProgram.ts';
import type { RuntimeName } from '../runtime/runtimeNames.ts';
import { chimeras } from './chimeras.ts';
import { hackBattery } from './hackBattery.ts';
import { mutantDiff } from './mutantDiff.ts';
import { mutantsOf, sampleMutants } from './mutants.ts';
import { pythonChimeras } from './pythonChimeras.ts';
import { pythonHackBattery } from './pythonHackBattery.ts';
import { writeProgram } from './writeProgram.ts';

export interface AuditOptions {
  /** Mutants graded (a seeded sample when the reference has more); default: the task's `audit.mutants`. */
  readonly mutants?: number;
  /** Seed of the grades and of the mutant sample; default: the task's `grader.seed`. */
  readonly seed?: number;
  /** Grades in flight at once (default: the number of cores). */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  /** Called as each program's grade is ready. */
  readonly onGraded?: (done: number, total: number) => void;
}

/** What an audit program's grade said. */
export interface ProgramResult {
  readonly program: AuditProgram;
  /** `failed`: the grader caught it; `passed`: a hole; `error`: the grade broke (see `feedback`). */
  readonly status: GradeResult['status'];
  /** The checks that failed it (none for a survivor). */
  readonly failedBy: readonly string[];
  /** The checks it passed (for a survivor: everything the grader tried). */
  readonly passed: readonly string[];
  readonly feedback: string;
}

/** How a surviving mutant compares with the reference solution. */
export type Equivalence =
  /** Listed under the task's `audit.equivalent` by its author, with the reason. */
  | { readonly kind: 'accepted'; readonly reason: string }
  /** Identical to the reference, bit for bit, on every call the audit generated from the grader's call specs. */
  | { readonly kind: 'likely-equivalent'; readonly how: string }
  /** Answers differently somewhere the grader's inputs reach, or could not be compared: a real survivor. */
  | { readonly kind: 'differs'; readonly how: string };

export interface MutantResult extends ProgramResult {
  readonly mutant: Mutant;
  /** The lines it changed in the reference solution's subject file. */
  readonly diff: string;
  /** Present for a survivor. */
  readonly equivalence?: Equivalence;
}

/** The audit of one task: how hard its grader is to fool. */
export interface AuditReport {
  readonly task: string;
  readonly version: number;
  readonly seed: number;
  readonly chimeras: readonly ProgramResult[];
  readonly hacks: readonly ProgramResult[];
  readonly mutants: {
    /** Mutants the reference solution has; `results` holds the graded sample. */
    readonly generated: number;
    readonly results: readonly MutantResult[];
    readonly killed: number;
    /** Survivors that are accepted or likely equivalent: left out of the score. */
    readonly equivalent: number;
    /** killed / (graded − equivalent); 1 when nothing is left to kill. */
    readonly score: number;
    readonly minScore: number;
  };
  /** Per check of the grader (properties and static checks), how many audit programs it failed, most first. */
  readonly kills: readonly { readonly check: string; readonly kills: number }[];
  /** The task's properties that failed no audit program. */
  readonly idleProperties: readonly string[];
  /** Why the audit does not pass (empty when it does): survivors, a low score, grades that broke. */
  readonly problems: readonly string[];
  readonly ok: boolean;
  readonly durationMs: number;
}

/** Mutant programs: the reference workspace with its subject file replaced by a mutant of it. */
function mutantPrograms(spec: TaskSpec, reference: ReadonlyMap<string, string>, list: readonly Mutant[]): { program: AuditProgram; mutant: Mutant }[] {
  const edited = new Set(spec.solution.edits.map((e) => e.file));
  return list.map((mutant) => {
    const files = new Map<string, string | null>();
    for (const f of edited) files.set(f, reference.get(f) ?? null);
    files.set(spec.grader.subject.file, mutant.source);
    return { mutant, program: { kind: 'mutant', name: mutant.id, why: `the reference solution with ${mutant.original} → ${mutant.replacement} (${mutant.operator}, line ${mutant.line})`, files } };
  });
}

/**
 * The chimeras and the hack battery of a task, written in its runtime's language. (Mutants come from the runtime
 * itself, `Runtime.mutants`, where it has its own syntax tree to mutate.)
 */
const generators: Readonly<Record<RuntimeName, { chimeras(spec: TaskSpec): Promise<AuditProgram[]>; hacks(spec: TaskSpec): Promise<AuditProgram[]> }>> = {
  typescript: { chimeras: (spec) => Promise.resolve(chimeras(spec)), hacks: (spec) => Promise.resolve(hackBattery(spec)) },
  python: { chimeras: pythonChimeras, hacks: pythonHackBattery },
};

function resultOf(program: AuditProgram, r: GradeResult): ProgramResult {
  const ran = r.checks.filter((c) => c.skipped !== true);
  return { program, status: r.status, failedBy: ran.filter((c) => !c.passed).map((c) => c.id), passed: ran.filter((c) => c.passed).map((c) => c.id), feedback: r.feedback };
}

/**
 * A survivor against the reference, call by call on the grader's own inputs: both loaded in children of the
 * task's runtime with the same random seed, compared bit for bit.
 */
async function compareWithReference(spec: TaskSpec, source: string, reference: Promise<Compiled>, seed: number): Promise<Equivalence> {
  const runtime = runtimeFor(spec.runtime);
  const file = spec.grader.subject.file;
  const specs = callSpecsOf(spec.grader.properties);
  if (specs.length === 0) return { kind: 'differs', how: 'not compared: no property of the grader declares a `call` to generate inputs from' };
  const [mine, theirs] = await Promise.all([runtime.compile(source, file), reference]);
  if (!mine.ok || !theirs.ok) return { kind: 'differs', how: `not compared: ${mine.ok ? '' : mine.message}${theirs.ok ? '' : theirs.message}` };
  const options = { limits: spec.limits, randomSeed: seed };
  const [a, b] = await Promise.all([runtime.start(mine.program, options), runtime.start(theirs.program, options)]);
  try {
    if (!a.ok || !b.ok) return { kind: 'differs', how: `not compared: ${a.ok ? 'the reference' : 'the mutant'} did not load` };
    const d = await firstDifference(a.subject.oracle, b.subject.oracle, spec.grader.subject.export, specs, { seed, perSpec: 40 });
    if (d.difference !== null) return { kind: 'differs', how: `after ${d.calls} identical call${d.calls === 1 ? '' : 's'}: ${d.difference}` };
    return { kind: 'likely-equivalent', how: `identical to the reference, bit for bit, on ${d.calls} calls drawn from the grader's ${d.specs} call spec${d.specs === 1 ? '' : 's'} (stateful sequences not replayed)` };
  } catch (e) {
    return { kind: 'differs', how: `not compared: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    await Promise.all([a.ok ? a.subject.dispose() : a.child.dispose(), b.ok ? b.subject.dispose() : b.child.dispose()]);
  }
}

// A function, not an inline test: the flag changes while grades run, which TypeScript's narrowing does not know.
const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

/** Thrown when the audit's signal aborts it: its grades were dropped, so it has no report. */
function aborted(): never {
  throw new RltaskError('E_INTERNAL', 'the audit was interrupted');
}

/**
 * Audit a task's grader: grade, as one batch, chimeras of its reference and bug, a sample of mutants of its
 * reference, and the standard hack battery. Every one of these programs is wrong, so each that passes is a hole;
 * surviving mutants are then compared with the reference on the grader's inputs to tell likely-equivalent ones
 * from real survivors. Every program is written in the task's runtime's language (TypeScript or Python). Throws an
 * `RltaskError` (E_SPEC) when the reference solution itself does not pass.
 *
 * @example
 * const report = await auditTask(await loadTask('tasks/softplus.yaml'), { mutants: 40 });
 * console.log(report.ok, report.mutants.score);
 */
export async function auditTask(spec: TaskSpec, options: AuditOptions = {}): Promise<AuditReport> {
  const started = performance.now();
  const seed = options.seed ?? spec.grader.seed;
  const referenceCase = taskCases(spec).find((c) => c.kind === 'reference')!;
  const reference = caseContents(spec, referenceCase);
  const referenceSource = reference.get(spec.grader.subject.file) ?? '';
  const runtime = runtimeFor(spec.runtime);
  const language = generators[spec.runtime];
  const [all, chimeraPrograms, hackPrograms] = await Promise.all([
    runtime.mutants === undefined ? mutantsOf(referenceSource, spec.grader.subject.file) : runtime.mutants(referenceSource, spec.grader.subject.file),
    language.chimeras(spec),
    language.hacks(spec),
  ]);
  const sampled = mutantPrograms(spec, reference, sampleMutants(all, options.mutants ?? spec.audit.mutants, seed));
  const programs: AuditProgram[] = [...chimeraPrograms, ...hackPrograms, ...sampled.map((m) => m.program)];
  const referenceProgram: AuditProgram = { kind: 'mutant', name: '(reference)', why: 'the reference solution itself', files: new Map([...reference].filter(([f]) => spec.solution.edits.some((e) => e.file === f))) };

  const root = await mkdtemp(path.join(tmpdir(), `rltask-audit-${spec.id}-`));
  try {
    // The reference first: it must pass, and its duration sets the audit's time limit. A mutant that loops (i++ → i--)
    // is killed by the limit; the task's own limit is generous for loaded machines and would make each such mutant
    // cost a minute, so the audit allows ten times the reference's grade and at least 10 s.
    const refDir = path.join(root, 'reference');
    await writeProgram(spec, referenceProgram, refDir);
    const [ref] = await gradeMany(spec, [refDir], { seed, signal: options.signal });
    if (isAborted(options.signal)) return aborted();
    if (ref === undefined || ref.status !== 'passed') {
      throw new RltaskError('E_SPEC', `${spec.id}: the reference solution does not pass its own grader (${ref?.status ?? 'not graded'}: ${ref?.feedback ?? ''}); fix the task (rltask check) before auditing it`);
    }
    const timeMs = Math.min(spec.limits.timeMs, Math.max(10_000, 10 * ref.durationMs));
    const audited: TaskSpec = { ...spec, limits: { ...spec.limits, timeMs } };
    const dirs: string[] = [];
    for (const [i, p] of programs.entries()) {
      const dir = path.join(root, String(i));
      await writeProgram(spec, p, dir);
      dirs.push(dir);
    }
    let done = 0;
    const results = await gradeMany(audited, dirs, {
      concurrency: options.concurrency,
      seed,
      signal: options.signal,
      onResult: () => options.onGraded?.(++done, dirs.length),
    });
    if (isAborted(options.signal)) return aborted();
    const outcomes = programs.map((p, i) => resultOf(p, results[i]!));
    const byKind = (k: AuditProgram['kind']) => outcomes.filter((o) => o.program.kind === k);

    const accepted = new Map(spec.audit.equivalent.map((e) => [e.mutant, e.reason]));
    // The reference's subject file, compiled once for every survivor's comparison (and only if there is one).
    let compiledReference: Promise<Compiled> | undefined;
    const mutantResults: MutantResult[] = [];
    for (const [i, o] of byKind('mutant').entries()) {
      const mutant = sampled[i]!.mutant;
      const diff = mutantDiff(referenceSource, mutant.source);
      if (o.status !== 'passed') {
        mutantResults.push({ ...o, mutant, diff });
        continue;
      }
      const reason = accepted.get(mutant.id);
      const equivalence = reason !== undefined ? ({ kind: 'accepted', reason } as const) : await compareWithReference(spec, mutant.source, (compiledReference ??= runtimeFor(spec.runtime).compile(referenceSource, spec.grader.subject.file)), seed);
      mutantResults.push({ ...o, mutant, diff, equivalence });
    }
    const killed = mutantResults.filter((m) => m.status === 'failed').length;
    const equivalent = mutantResults.filter((m) => m.equivalence !== undefined && m.equivalence.kind !== 'differs').length;
    const denominator = mutantResults.length - equivalent;
    const score = denominator === 0 ? 1 : killed / denominator;

    const kills = new Map<string, number>();
    for (const o of outcomes) for (const c of o.failedBy) kills.set(c, (kills.get(c) ?? 0) + 1);
    const idleProperties = spec.grader.properties.map((p) => p.id).filter((id) => !kills.has(id));

    const problems: string[] = [];
    for (const o of [...byKind('chimera'), ...byKind('hack')]) {
      if (o.status === 'passed') problems.push(`${o.program.kind} ${o.program.name} got reward 1: ${o.program.why}`);
    }
    for (const o of outcomes) if (o.status === 'error') problems.push(`${o.program.kind} ${o.program.name}: the grade broke (${o.feedback})`);
    const minScore = spec.audit.minScore;
    if (score < minScore) problems.push(`mutation score ${score.toFixed(3)} is under the task's audit.minScore ${minScore}`);
    return {
      task: spec.id,
      version: spec.version,
      seed,
      chimeras: byKind('chimera'),
      hacks: byKind('hack'),
      mutants: { generated: all.length, results: mutantResults, killed, equivalent, score, minScore },
      kills: [...kills].map(([check, n]) => ({ check, kills: n })).sort((a, b) => b.kills - a.kills || a.check.localeCompare(b.check)),
      idleProperties,
      problems,
      ok: problems.length === 0,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
