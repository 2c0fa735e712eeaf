import { exitCodeFor } from '../errors.ts';

/**
 * What the user sees of an error a verb threw: bad input (exit 2) as its message, which names the file, key,
 * option or argument; anything else (exit 3) as one line with a hint, and its stack trace only under `--debug`.
 */
export function reportError(error: unknown, prefix: string, debug: boolean): { readonly code: 2 | 3; readonly text: string } {
  const code = exitCodeFor(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === 2) return { code, text: `${prefix}: ${message}\n` };
  if (debug) return { code, text: `${prefix}: internal error: ${error instanceof Error && error.stack !== undefined ? error.stack : message}\n` };
  const first = message.split('\n', 1)[0] ?? '';
  return { code, text: `${prefix}: internal error: ${first} (re-run with --debug for the stack trace)\n` };
}
