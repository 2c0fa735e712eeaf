import { resolveProperty } from '../../properties/registry.ts';
import { RltaskError, SubmissionFault } from '../errors.ts';
import { runtimeFor } from '../runtime/registry.ts';
import { alwaysOnCheckIds, STATIC_IDS } from '../runtime/staticCheckRegistry.ts';
import type { Program, Subject } from '../runtime/Runtime.ts';
import type { Sandbox, SandboxOptions } from '../sandbox/Sandbox.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { readSubmission } from '../workspace/readSubmission.ts';
import { deriveSeed } from './deriveSeed.ts';
import type { Check, GradeResult } from './GradeResult.ts';
import { referenceCodeOf, referenceSolution } from './referenceSolution.ts';

/** How to grade: the seed, where children come from, the label, fail-fast. */
export interface GradeOptions {
  /** Seed for every random choice; default the task's `grader.seed`. Same submission + seed → same verdict. */
  readonly seed?: number;
  /** Where sandboxes come from (a pool of pre-started children in batch mode). Default: start one. */
  readonly startSandbox?: (options: SandboxOptions) => Promise<Sandbox>;
  /** Shown as `workspace` in the result (default: `dir` as given). */
  readonly label?: string;
  /**
   * Stop at the first failing check: later checks are reported as skipped, and when a static check (e.g.
   * `uses-sqrt`) fails the submission is never loaded (no sandbox is started, or, where the runtime reads the code
   * in the grade's child, that child is stopped). Same verdict, less feedback, far less work for a failing
   * submission — for pipelines that only need the reward. Default false: every check runs and is reported.
   */
  readonly failFast?: boolean;
  /**
   * Test-only, never exposed by the CLI or the server: grade without the static policy (reported as a skipped
   * check), so that the hostile specs can run every case against the sandbox alone. The policy is a first filter;
   * a grade with it off is weaker, never a real verdict. Default false.
   */
  readonly policyOff?: boolean;
}

/** The limits of one sandbox child for this task (what a pool of pre-started children for its grades needs). */
export function sandboxOptions(spec: TaskSpec): SandboxOptions {
  return runtimeFor(spec.runtime).childOptions(spec.limits);
}

const VISIBLE_TESTS = 'visible-tests';

function skippedChecks(ids: readonly string[], why: string): Check[] {
  return ids.map((id) => ({ id, passed: false, skipped: true, message: `not run: ${why}` }));
}

/**
 * A grade whose workspace has been read and whose static checks have run: what is left needs a sandbox, or
 * nothing (the verdict is already decided). `gradeMany` reports a decided one at once, without a child, and under
 * `failFast` prepares the next workspaces a little ahead, so that no child is pre-started for one either.
 */
export interface PreparedGrade {
  /** Whether `finish` needs a sandbox; false when the workspace check, the code or a static check decided it. */
  readonly needsSandbox: boolean;
  /**
   * Whether the static half took a child from `options.startSandbox` (a runtime that reads the code in the child
   * it then loads it into): a batch's pool has handed it out, decided grade or not.
   */
  readonly tookChild: boolean;
  /**
   * The rest of the grade (the sandbox and the properties when needed) and its result. Call it once, or
   * `discard`. A grade whose static half took a child loads its program there, not in one from `startSandbox`.
   */
  finish(startSandbox?: (options: SandboxOptions) => Promise<Sandbox>): Promise<GradeResult>;
  /** Give up a grade that will not be finished (an aborted batch): its child, if it holds one, is disposed of. */
  discard(): Promise<void>;
}

/** A grader fault as a result's `error`: a workspace that vanished is the caller's problem, anything else ours. */
function gradeError(e: unknown): { code: string; message: string } {
  if (e instanceof RltaskError && e.code === 'E_WORKSPACE') return { code: e.code, message: e.message };
  return { code: 'E_INTERNAL', message: e instanceof Error ? `${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 4).join('\n')}` : ''}` : String(e) };
}

/**
 * Grade one workspace against a task. Never throws for the submission's behaviour: a broken, hostile or
 * crashing submission gives `status: 'failed'`; a workspace that is not a directory or a fault of the grader
 * itself gives `status: 'error'` with an `error.code`.
 *
 * @example
 * const result = await gradeWorkspace(await loadTask('tasks/variance-dropout.yaml'), '/tmp/ws');
 * console.log(result.reward, result.feedback);
 */
export async function gradeWorkspace(spec: TaskSpec, dir: string, options: GradeOptions = {}): Promise<GradeResult> {
  return (await prepareGrade(spec, dir, options)).finish(options.startSandbox);
}

/**
 * The first half of `gradeWorkspace`: read the workspace, transpile, run the static checks. Never throws (a fault
 * becomes a decided `error` result). `durationMs` counts the time spent in both halves, not the wait between them.
 */
export async function prepareGrade(spec: TaskSpec, dir: string, options: GradeOptions = {}): Promise<PreparedGrade> {
  const started = performance.now();
  const seed = options.seed ?? spec.grader.seed;
  const checks: Check[] = [];
  // The checks that need the sandbox: the properties, then the visible tests (last, in the same child).
  // An impossible twin's visible tests contradict the prompt on purpose; its grade holds the submission to the prompt.
  const tests = spec.twin === 'impossible' ? undefined : spec.tests;
  const sandboxCheckIds = [...spec.grader.properties.map((p) => p.id), ...(tests === undefined ? [] : [VISIBLE_TESTS])];
  const result = (activeMs: number, output: string, error?: { code: string; message: string }): GradeResult => {
    // Behaviour first: a property's counterexample is more actionable than a style check on the same bug.
    const failing = checks.filter((c) => !c.passed && c.skipped !== true);
    const failedCheck = failing.find((c) => !STATIC_IDS.has(c.id)) ?? failing[0];
    const status = error !== undefined ? 'error' : failedCheck === undefined ? 'passed' : 'failed';
    const feedback =
      error !== undefined
        ? `grader error (${error.code}): ${error.message}`
        : failedCheck === undefined
          ? `all ${checks.length} checks passed`
          : `${failedCheck.id}: ${failedCheck.message}`;
    return {
      workspace: options.label ?? dir,
      task: spec.id,
      taskVersion: spec.version,
      passed: status === 'passed',
      reward: status === 'passed' ? 1 : 0,
      status,
      feedback,
      output,
      checks,
      seed,
      durationMs: Math.round(activeMs),
      ...(error === undefined ? {} : { error }),
    };
  };
  /** The static half took a child from `options.startSandbox` (Python's analyser runs in it). */
  let tookChild = false;
  const given = options.startSandbox;
  const takeChild =
    given === undefined
      ? undefined
      : (o: SandboxOptions): Promise<Sandbox> => {
          tookChild = true;
          return given(o);
        };
  const decided = (r: GradeResult): PreparedGrade => ({ needsSandbox: false, tookChild, finish: () => Promise.resolve(r), discard: () => Promise.resolve() });
  /** The child the static half ran in, the program's to be loaded into. */
  let heldChild: Sandbox | undefined;

  /** The task's files as the submission leaves them (protected ones are checked equal to the task's). */
  let workspaceFiles: ReadonlyMap<string, string> = new Map();
  const runtime = runtimeFor(spec.runtime);
  const staticIds = [...alwaysOnCheckIds, ...spec.grader.ast.map((a) => a.check)];
  /** The static half; the program when a sandbox is needed, undefined when the grade is decided. */
  const staticPhase = async (): Promise<Program | undefined> => {
    const submission = await readSubmission(spec, dir);
    workspaceFiles = new Map(spec.files.map((f) => [f.path, submission.editable.get(f.path) ?? f.content]));
    checks.push(...submission.checks);
    if (submission.checks.some((c) => !c.passed)) {
      checks.push(...skippedChecks([...staticIds, 'load', ...sandboxCheckIds], 'the workspace check failed'));
      return undefined;
    }
    const originals = new Map(spec.files.filter((f) => f.role === 'editable').map((f) => [f.path, f.content]));
    const files = new Map([...submission.editable].map(([p, text]) => [p, { submitted: text, original: originals.get(p) ?? '' }]));
    const prepared = await runtime.prepare({
      files,
      subject: spec.grader.subject,
      checks: spec.grader.ast,
      limits: spec.limits,
      ...(takeChild === undefined ? {} : { child: takeChild }),
      ...(options.policyOff === true ? { policyOff: true } : {}),
    });
    checks.push(...prepared.checks);
    if (!prepared.ok) {
      checks.push(...skippedChecks(['load', ...sandboxCheckIds], prepared.refusal));
      return undefined;
    }
    const failedStatic = prepared.checks.find((c) => !c.passed && c.skipped !== true);
    if (options.failFast === true && failedStatic !== undefined) {
      await prepared.child?.dispose();
      checks.push(...skippedChecks(['load', ...sandboxCheckIds], `fail-fast after ${failedStatic.id} failed`));
      return undefined;
    }
    heldChild = prepared.child;
    return prepared.program;
  };

  let program: Program | undefined;
  try {
    program = await staticPhase();
  } catch (e) {
    return decided(result(performance.now() - started, '', gradeError(e)));
  }
  const staticMs = performance.now() - started;
  if (program === undefined) return decided(result(staticMs, ''));
  const submitted = program;

  /** Properties, then the visible tests, on the loaded subject. */
  const dynamicPhase = async (subject: Subject): Promise<void> => {
    const subjectFile = spec.grader.subject.file;
    if (!subject.exports.includes(spec.grader.subject.export)) {
      checks.push({ id: 'load', passed: false, message: `${subjectFile} does not export ${spec.grader.subject.export}` });
      checks.push(...skippedChecks(sandboxCheckIds, 'the subject is not exported'));
      return;
    }
    checks.push({ id: 'load', passed: true, message: `${subjectFile} loaded in the sandbox` });

    const reference = referenceSolution(referenceCodeOf(spec), runtime, deriveSeed(seed, 'reference'));
    try {
      const properties = spec.grader.properties.map(resolveProperty);
      for (let i = 0; i < properties.length; i++) {
        const property = properties[i]!;
        try {
          const outcome = await property.run({ oracle: subject.oracle, subject: spec.grader.subject.export, seed: deriveSeed(seed, property.id), reference: reference.solution });
          checks.push({ id: property.id, ...outcome });
          if (options.failFast === true && !outcome.passed) {
            checks.push(...skippedChecks(sandboxCheckIds.slice(i + 1), `fail-fast after ${property.id} failed`));
            return;
          }
        } catch (e) {
          if (!(e instanceof SubmissionFault)) throw e;
          checks.push({ id: property.id, passed: false, message: e.message });
          checks.push(...skippedChecks(sandboxCheckIds.slice(i + 1), "the submission's process was stopped"));
          return;
        }
      }
    } finally {
      await reference.dispose();
    }
    if (tests !== undefined) checks.push(await visibleTests(subject, tests.file));
  };

  /**
   * The task's visible tests, bundled with the workspace's files and loaded into a fresh context of the same
   * child. They can only take a reward away: what they print or whether they throw is never a reason to pass.
   */
  const visibleTests = async (subject: Subject, file: string): Promise<Check> => {
    const bundle = await runtime.bundleTests(file, workspaceFiles);
    if (!bundle.ok) return { id: VISIBLE_TESTS, passed: false, message: `${file} does not compile with this submission: ${bundle.message}` };
    const left = Math.max(1, Math.round(subject.deadline - performance.now()));
    try {
      const r = await subject.run(bundle.program, deriveSeed(seed, VISIBLE_TESTS), left);
      if (r.ok) return { id: VISIBLE_TESTS, passed: true, message: `${file} ran to the end without an error` };
      return { id: VISIBLE_TESTS, passed: false, message: `${file} failed: ${r.thrown.name}: ${r.thrown.message} (its output is in the grade's output)` };
    } catch (e) {
      if (!(e instanceof SubmissionFault)) throw e;
      return { id: VISIBLE_TESTS, passed: false, message: `${file}: ${e.message}` };
    }
  };

  const held = heldChild;
  return {
    needsSandbox: true,
    tookChild,
    discard: async () => {
      await held?.dispose();
    },
    async finish(startSandbox) {
      const resumed = performance.now();
      let child: { readonly output: string; dispose(): Promise<void> } | undefined;
      let error: { code: string; message: string } | undefined;
      let output = '';
      const source = held === undefined ? startSandbox : () => Promise.resolve(held);
      try {
        const started = await runtime.start(submitted, { limits: spec.limits, randomSeed: deriveSeed(seed, 'Math.random'), ...(source === undefined ? {} : { child: source }) });
        child = started.ok ? started.subject : started.child;
        if (started.ok) await dynamicPhase(started.subject);
        else {
          const why = started.fault ? started.thrown.message : `${started.thrown.name}: ${started.thrown.message}`;
          checks.push({ id: 'load', passed: false, message: `loading ${spec.grader.subject.file} failed: ${why}` });
          checks.push(...skippedChecks(sandboxCheckIds, 'the module did not load'));
        }
      } catch (e) {
        error = gradeError(e);
      } finally {
        if (child !== undefined) {
          await child.dispose();
          output = child.output;
        }
      }
      return result(staticMs + (performance.now() - resumed), output, error);
    },
  };
}
