import type { ParseArgsConfig } from 'node:util';

/** Where a command writes. Tests pass buffers; `run.ts` passes the real streams. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** True when stderr is a terminal (progress bars instead of plain lines). */
  readonly isTty: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM: long commands stop starting new work and clean up. */
  readonly signal: AbortSignal;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Option help lines, shown by `<verb> --help`. */
  readonly help: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Returns the exit code: 0 success/pass, 1 failing verdict, 2 bad input, 3 internal error. */
  run(positionals: string[], values: Record<string, string | boolean | string[] | boolean[] | undefined>, io: Io): Promise<number>;
}
