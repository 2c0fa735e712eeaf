import type { Check } from './Check.ts';
import type { Oracle } from '../sandbox/Oracle.ts';
import type { Sandbox, SandboxOptions } from '../sandbox/Sandbox.ts';
import type { Thrown } from '../sandbox/protocol.ts';
import type { StaticCheckSpec } from './staticCheckRegistry.ts';

/**
 * Everything language-specific about grading, behind one interface: compiling a submission, its static checks,
 * the isolated child it runs in (with the harness that speaks the oracle protocol), and its visible tests.
 * Grading, the properties and the CLI only ever talk to a `Runtime`; a task names its runtime (`runtime:` in
 * the task file, `typescript` by default).
 */
export interface Runtime {
  readonly name: string;
  /**
   * The static half of a grade, which never runs the submission: bound its syntax, compile the subject, apply
   * the always-on static policy and the task's static checks (`grader.ast`). Never throws for the submission's
   * content: what it does wrong is a failed check.
   */
  prepare(input: PrepareInput): Promise<Prepared>;
  /** Compile trusted code (the reference solution's subject file) for `start`. */
  compile(source: string, file: string): Promise<Compiled>;
  /** Compile the visible tests (`entry` and what it imports among `files`) into one program for `Subject.run`. */
  bundleTests(entry: string, files: ReadonlyMap<string, string>): Promise<Compiled>;
  /**
   * Start an isolated child, load `program` in it and connect an oracle: a subject ready for properties. A
   * program that throws or faults while loading is `{ ok: false }` (the submission's failure); a child that
   * cannot be started at all throws (the environment's).
   */
  start(program: Program, options: StartOptions): Promise<Started>;
  /** Limits of one child, from the task's limits (for a pool of pre-started children). */
  childOptions(limits: RunLimits): SandboxOptions;
  /** Start one isolated child with this runtime's harness, ready for `start` to load a program into (a pool's start function). */
  startChild(options: SandboxOptions): Promise<Sandbox>;
  /**
   * The members of a class declared in `file` (for checking that a task's properties call methods that exist);
   * undefined when they cannot be known statically.
   */
  classMembers(source: string, file: string, className: string): Promise<ReadonlySet<string> | undefined>;
  /** The isolation layers its children get on this machine (what a grade's provenance reports). */
  isolationLayers(): Promise<readonly string[]>;
  /**
   * Every mutant of trusted `source` (the reference solution's subject file) for `rltask audit`, from this
   * language's own syntax tree: one edit by one standard mutation operator each, in source order, ids unique, each
   * one loadable. Undefined: the audit's own generator is used (TypeScript's, src/audit/mutants.ts).
   */
  mutants?(source: string, file: string): Promise<readonly SourceMutant[]>;
}

/** A mutant of a source file: one syntax-tree edit by a standard mutation operator (see the audit's `Mutant`). */
export interface SourceMutant {
  /** `L<line>:<column> <operator>: <original> → <replacement>`, stable for one source text. */
  readonly id: string;
  /** arithmetic, comparison, logical, unary, constant, function-swap, statement-removal, argument-swap, condition-flip or loop-bound. */
  readonly operator: string;
  /** 1-based line and column of the edited text in the original source. */
  readonly line: number;
  readonly column: number;
  /** The edited text before and after (short, for reports). */
  readonly original: string;
  readonly replacement: string;
  /** The whole mutated source. */
  readonly source: string;
}

/** Compiled code and the file it came from, ready to load into a child. */
export interface Program {
  readonly code: string;
  readonly file: string;
}

export type Compiled = { readonly ok: true; readonly program: Program } | { readonly ok: false; readonly message: string };

export interface PrepareInput {
  /** The workspace's editable files as submitted, each with the task's original text. */
  readonly files: ReadonlyMap<string, { readonly submitted: string; readonly original: string }>;
  readonly subject: { readonly file: string; readonly export: string };
  /** The task's configured static checks (`grader.ast`), as data. */
  readonly checks: readonly StaticCheckSpec[];
  /**
   * Test-only: do not apply the static policy (its check is reported skipped and never refuses the code), so that
   * the hostile specs can show the sandbox holds on its own. Only `GradeOptions.policyOff` sets it; the CLI, the
   * server and the batch commands never do.
   */
  readonly policyOff?: boolean;
  /** The grade's limits: those of a child the static half starts for itself. */
  readonly limits: RunLimits;
  /**
   * Where a child comes from (a pool of pre-started ones), for a runtime whose static half reads the code in the
   * child the program is then loaded into (Python's analyser); default: start a fresh one.
   */
  readonly child?: (options: SandboxOptions) => Promise<Sandbox>;
}


/**
 * The static half's outcome: its checks in report order (compiling, the policy, the task's checks), and either
 * the program to load or why no sandbox is worth starting (the code does not compile, breaks the policy, or
 * nests too deeply to be read safely). A failed task check alone still gives a program.
 */
export type Prepared =
  | {
      readonly ok: true;
      readonly checks: readonly Check[];
      readonly program: Program;
      /**
       * The child the static half ran in (nothing of the submission's has run in it), for `start` to load the
       * program into: the caller owns it and disposes of it if it does not start the program. A refused program's
       * child is already disposed of.
       */
      readonly child?: Sandbox;
    }
  | { readonly ok: false; readonly checks: readonly Check[]; readonly refusal: string };

export interface RunLimits {
  readonly timeMs: number;
  readonly memoryMb: number;
  readonly outputBytes: number;
}

export interface StartOptions {
  readonly limits: RunLimits;
  /** Seed of the child's default random source (`Math.random` in TypeScript). */
  readonly randomSeed: number;
  /** Where the child comes from (a pool of pre-started ones); default: start a fresh one. */
  readonly child?: (options: SandboxOptions) => Promise<Sandbox>;
}

/**
 * A started subject, or a program that failed to load: what it threw, or (`fault`) how its child misbehaved
 * (out of time or memory, died), with the child for its output.
 */
export type Started =
  | { readonly ok: true; readonly subject: Subject }
  | { readonly ok: false; readonly thrown: Thrown; readonly fault: boolean; readonly child: Child };

/** A child process the caller owns: `dispose()` stops it, and must be called however the grade ends. */
export interface Child {
  /** What the child printed (stdout and stderr, bounded by the limits), complete once disposed. */
  readonly output: string;
  dispose(): Promise<void>;
}

/** A loaded program in its child, with an oracle to call it through. */
export interface Subject extends Child {
  readonly oracle: Oracle;
  readonly exports: readonly string[];
  /** `performance.now()` by which the subject's time budget (`limits.timeMs`, counted from its load) runs out. */
  readonly deadline: number;
  /**
   * Run another program (the visible tests) in a fresh context of the same child, within `timeoutMs`. Throws a
   * `SubmissionFault` when the child misbehaves.
   */
  run(program: Program, randomSeed: number, timeoutMs: number): Promise<{ readonly ok: true } | { readonly ok: false; readonly thrown: Thrown }>;
}
