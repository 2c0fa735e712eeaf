/**
 * One line of a grade report, whoever produced it (the workspace check, a runtime's static checks, a property,
 * the visible tests). `skipped` checks could not run because an earlier one made them moot.
 */
export interface Check {
  readonly id: string;
  readonly passed: boolean;
  readonly message: string;
  readonly skipped?: boolean;
  readonly counterexample?: unknown;
  readonly metrics?: Readonly<Record<string, number>>;
}
