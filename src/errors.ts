/**
 * Typed errors the library throws. The CLI maps `code` to an exit status; nothing below the CLI exits.
 *
 * - `E_USAGE`     bad command-line arguments            → exit 2
 * - `E_SPEC`      a task file that is not valid          → exit 2
 * - `E_WORKSPACE` a workspace that cannot be used        → exit 2
 * - `E_API`       a remote API refused us (no key, 401)  → exit 2
 * - `E_INTERNAL`  the tool itself broke                  → exit 3
 */
export const ErrorCodes = ['E_USAGE', 'E_SPEC', 'E_WORKSPACE', 'E_API', 'E_INTERNAL'] as const;
/** One of `ErrorCodes`: what kind of failure an `RltaskError` is (and which exit status the CLI gives it). */
export type ErrorCode = (typeof ErrorCodes)[number];

/** An error of the library, with a code saying whose fault it is (see `ErrorCodes`). */
export class RltaskError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RltaskError';
    this.code = code;
  }
}

/** A located problem in a task file: `file:line:column: key.path: message`. */
export interface SpecProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
}

/** A located problem as one line, `file:line:column: key.path: message`. */
export function formatProblem(p: SpecProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
}

/** A task file that is not valid: every problem found, each located in the file. */
export class SpecError extends RltaskError {
  readonly problems: readonly SpecProblem[];
  constructor(problems: readonly SpecProblem[]) {
    super('E_SPEC', problems.map(formatProblem).join('\n'));
    this.name = 'SpecError';
    this.problems = problems;
  }
}

/** Exit status for a thrown value; anything that is not one of ours is an internal error. */
export function exitCodeFor(error: unknown): 2 | 3 {
  if (error instanceof RltaskError && error.code !== 'E_INTERNAL') return 2;
  return 3;
}

/**
 * The submission's process misbehaved: it ran out of time or memory, died, or broke the protocol. This is the
 * submission's failure (a `failed` verdict), never the grader's.
 */
export class SubmissionFault extends Error {
  readonly reason: 'timeout' | 'exited' | 'protocol' | 'output';
  constructor(reason: 'timeout' | 'exited' | 'protocol' | 'output', message: string) {
    super(message);
    this.name = 'SubmissionFault';
    this.reason = reason;
  }
}
