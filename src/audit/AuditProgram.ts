import type { SourceMutant } from '../runtime/Runtime.ts';

/**
 * One wrong program an audit grades: a workspace that differs from the task's planted-bug workspace by `files`
 * (and `symlinks`). Every audit program is wrong by construction — a chimera of the reference and the bug, a
 * mutant of the reference, or a hack — and must get reward 0; one that gets reward 1 is a hole in the grader.
 */
export interface AuditProgram {
  readonly kind: 'chimera' | 'mutant' | 'hack';
  /** Unique within its kind; stable across runs for the same task file (mutants: see `Mutant.id`). */
  readonly name: string;
  /** One line: how the program is wrong, e.g. "the planted bug when n > 32, the fix otherwise". */
  readonly why: string;
  /**
   * Task files replaced in the workspace (path relative to it → new content), or deleted (null). The editable
   * subject file is usually the only entry.
   */
  readonly files: ReadonlyMap<string, string | null>;
  /** Symbolic links created in the workspace after the files (path → target), for hacks on protected files. */
  readonly symlinks?: ReadonlyMap<string, string>;
}

/**
 * A mutant of the reference solution: one syntax-tree edit by a standard mutation operator, whichever runtime made
 * it. Its `id` (`L12:31 arithmetic: * → /`) is how authors list accepted equivalent mutants in the task file.
 */
export type Mutant = SourceMutant;
