/** Where a command writes, and what it may read of its environment. Tests pass buffers; `run.ts` the real streams. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** True when stderr is a terminal (progress bars instead of plain lines). */
  readonly isTty: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM: long commands stop starting new work and clean up. */
  readonly signal: AbortSignal;
  /**
   * For a verb that shuts down on its own (a server draining): the first signal then only aborts `signal`, the
   * sandboxes are left to the verb, the process waits up to `graceMs` for it, and its exit code stands.
   */
  readonly drainOnSignal?: (graceMs: number) => void;
}
