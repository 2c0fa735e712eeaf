import type { BoundProperty } from '../../properties/PropertyContract.ts';
import { RltaskError } from '../errors.ts';
import { Oracle } from '../sandbox/Oracle.ts';
import { Sandbox, type SandboxOptions } from '../sandbox/Sandbox.ts';
import { SubmissionFault } from '../sandbox/SubmissionFault.ts';
import { bundleFiles, transpile } from '../runtime/typescript/transpile.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { readSubmission } from '../workspace/readSubmission.ts';
import { parseFiles } from '../runtime/typescript/parseFiles.ts';
import { runStaticChecks as runAstChecks } from '../runtime/typescript/staticChecks.ts';
import type { Check, GradeResult } from './GradeResult.ts';
import { deriveSeed } from './_seed.ts';

export interface GradeOptions {
  /** Seed for every random choice; default the task's `grader.seed`. Same submission + seed → same verdict. */
  readonly seed?: number;
  /** Where sandboxes come from (a pool of pre-started children in batch mode). Default: start one. */
  readonly startSandbox?: (options: SandboxOptions) => Promise<Sandbox>;
  /** Shown as `workspace` in the result (default: `dir` as given). */
  readonly label?: string;
  /**
   * Stop at the first failing check: later checks are reported as skipped, and when a static check (e.g.
   * `uses-sqrt`) fails no sandbox is started at all. Same verdict, less feedback, far less work for a failing
   * submission — for pipelines that only need the reward. Default false: every check runs and is reported.
   */
  readonly failFast?: boolean;
}

export function sandboxOptions(spec: TaskSpec): SandboxOptions {
  return { memoryMb: spec.limits.memoryMb, outputBytes: spec.limits.outputBytes, cpuSeconds: Math.ceil(spec.limits.timeMs / 1000) + 2 };
}

const STATIC_CHECKS: ReadonlySet<string> = new Set(['same-public-api', 'uses-sqrt']);
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
  /** Whether `finish` starts a sandbox; false when the workspace check, the code or a static check decided it. */
  readonly needsSandbox: boolean;
  /** The rest of the grade (the sandbox and the properties when needed) and its result. Call it once. */
  finish(startSandbox?: (options: SandboxOptions) => Promise<Sandbox>): Promise<GradeResult>;
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
  const sandboxCheckIds = [...spec.grader.properties.map((p) => p.id), ...(spec.tests === undefined ? [] : [VISIBLE_TESTS])];
  const result = (activeMs: number, output: string, error?: { code: string; message: string }): GradeResult => {
    // Behaviour first: a property's counterexample is more actionable than a style check on the same bug.
    const failing = checks.filter((c) => !c.passed && c.skipped !== true);
    const failedCheck = failing.find((c) => !STATIC_CHECKS.has(c.id)) ?? failing[0];
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
  const decided = (r: GradeResult): PreparedGrade => ({ needsSandbox: false, finish: () => Promise.resolve(r) });

  /** The task's files as the submission leaves them (protected ones are checked equal to the task's). */
  let workspaceFiles: ReadonlyMap<string, string> = new Map();
  /** The static half; the transpiled code when a sandbox is needed, undefined when the grade is decided. */
  const staticPhase = async (): Promise<string | undefined> => {
    const submission = await readSubmission(spec, dir);
    workspaceFiles = new Map(spec.files.map((f) => [f.path, submission.editable.get(f.path) ?? f.content]));
    checks.push(...submission.checks);
    if (submission.checks.some((c) => !c.passed)) {
      checks.push(...skippedChecks(['compile', 'policy', ...spec.grader.ast.map((a) => a.check), 'load', ...sandboxCheckIds], 'the workspace check failed'));
      return undefined;
    }
    const subjectFile = spec.grader.subject.file;
    const source = submission.editable.get(subjectFile)!;
    // Nesting is bounded before any recursive reader sees the code (the compiler's parser, esbuild's printer).
    const parsed = await parseFiles(submission.editable);
    if (!parsed.ok) {
      checks.push({ id: 'compile', passed: false, message: parsed.message });
      checks.push(...skippedChecks(['policy', ...spec.grader.ast.map((a) => a.check), 'load', ...sandboxCheckIds], 'the code nests too deeply'));
      return undefined;
    }
    const compiled = await transpile(source, subjectFile);
    checks.push(compiled.ok ? { id: 'compile', passed: true, message: `${subjectFile} transpiles` } : { id: 'compile', passed: false, message: compiled.message });

    const originals = new Map(spec.files.filter((f) => f.role === 'editable').map((f) => [f.path, f.content]));
    const astFiles = new Map([...submission.editable].map(([p, text]) => [p, { submitted: text, original: originals.get(p) ?? '' }]));
    const ast = await runAstChecks({ files: astFiles, subject: spec.grader.subject, checks: spec.grader.ast, parsed });
    checks.push(...ast);
    if (!compiled.ok || !ast[0]!.passed) {
      checks.push(...skippedChecks(['load', ...sandboxCheckIds], compiled.ok ? 'the permissions policy refused the code' : 'the code does not compile'));
      return undefined;
    }
    const failedStatic = ast.find((c) => !c.passed);
    if (options.failFast === true && failedStatic !== undefined) {
      checks.push(...skippedChecks(['load', ...sandboxCheckIds], `fail-fast after ${failedStatic.id} failed`));
      return undefined;
    }
    return compiled.code;
  };

  let code: string | undefined;
  try {
    code = await staticPhase();
  } catch (e) {
    return decided(result(performance.now() - started, '', gradeError(e)));
  }
  const staticMs = performance.now() - started;
  if (code === undefined) return decided(result(staticMs, ''));
  const compiledCode = code;

  const dynamicPhase = async (sandbox: Sandbox): Promise<void> => {
    const subjectFile = spec.grader.subject.file;
    const deadline = performance.now() + spec.limits.timeMs;
    const loaded = await sandbox.load(compiledCode, subjectFile, deriveSeed(seed, 'Math.random'), spec.limits.timeMs).catch((e: unknown) => {
      if (e instanceof SubmissionFault) return { ok: false as const, thrown: { name: 'fault', message: e.message } };
      throw e;
    });
    if (!loaded.ok) {
      checks.push({ id: 'load', passed: false, message: `loading ${subjectFile} failed: ${loaded.thrown.name === 'fault' ? '' : `${loaded.thrown.name}: `}${loaded.thrown.message}` });
      checks.push(...skippedChecks(sandboxCheckIds, 'the module did not load'));
      return;
    }
    if (!loaded.exports.includes(spec.grader.subject.export)) {
      checks.push({ id: 'load', passed: false, message: `${subjectFile} does not export ${spec.grader.subject.export}` });
      checks.push(...skippedChecks(sandboxCheckIds, 'the subject is not exported'));
      return;
    }
    checks.push({ id: 'load', passed: true, message: `${subjectFile} loaded in the sandbox` });

    const oracle = new Oracle(sandbox, deadline);
    const properties: readonly BoundProperty[] = spec.grader.properties;
    for (let i = 0; i < properties.length; i++) {
      const property = properties[i]!;
      try {
        const outcome = await property.run({ oracle, subject: spec.grader.subject.export, seed: deriveSeed(seed, property.id) });
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
    if (spec.tests !== undefined) checks.push(await visibleTests(sandbox, spec.tests.file, deadline));
  };

  /**
   * The task's visible tests, bundled with the workspace's files and loaded into a fresh context of the same
   * child. They can only take a reward away: what they print or whether they throw is never a reason to pass.
   */
  const visibleTests = async (sandbox: Sandbox, file: string, deadline: number): Promise<Check> => {
    const bundle = await bundleFiles(file, workspaceFiles);
    if (!bundle.ok) return { id: VISIBLE_TESTS, passed: false, message: `${file} does not compile with this submission: ${bundle.message}` };
    const left = Math.max(1, Math.round(deadline - performance.now()));
    try {
      const r = await sandbox.load(bundle.code, file, deriveSeed(seed, VISIBLE_TESTS), left);
      if (r.ok) return { id: VISIBLE_TESTS, passed: true, message: `${file} ran to the end without an error` };
      return { id: VISIBLE_TESTS, passed: false, message: `${file} failed: ${r.thrown.name}: ${r.thrown.message} (its output is in the grade's output)` };
    } catch (e) {
      if (!(e instanceof SubmissionFault)) throw e;
      return { id: VISIBLE_TESTS, passed: false, message: `${file}: ${e.message}` };
    }
  };

  return {
    needsSandbox: true,
    async finish(startSandbox = Sandbox.start) {
      const resumed = performance.now();
      let sandbox: Sandbox | undefined;
      let error: { code: string; message: string } | undefined;
      let output = '';
      try {
        sandbox = await startSandbox(sandboxOptions(spec));
        await dynamicPhase(sandbox);
      } catch (e) {
        error = gradeError(e);
      } finally {
        if (sandbox !== undefined) {
          await sandbox.dispose();
          output = sandbox.output;
        }
      }
      return result(staticMs + (performance.now() - resumed), output, error);
    },
  };
}
