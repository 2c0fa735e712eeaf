#!/usr/bin/env node
// The CLI entry point: the only place that touches argv, stdio, signals and the exit code.
import { main } from './cli/main.ts';
import { killAllSandboxes } from './sandbox/Sandbox.ts';
import { tuneV8 } from './startup/tuneV8.ts';

tuneV8();

const INTERRUPTED = 130;
/**
 * How long the first signal leaves a verb to stop on its own (drop grades in flight, kill their children, write
 * what it has) before the process exits anyway: a verb can be busy where no abort reaches it.
 */
const GRACE_MS = 2000;

const controller = new AbortController();
let signals = 0;
/** Set by a verb that drains on a signal (`serve`): how long it may take. */
let drainMs: number | undefined;
/** Give SIGINT/SIGTERM back their default action: the next one ends the process, whatever it is doing. */
const stopListening = (): void => {
  process.off('SIGINT', interrupt);
  process.off('SIGTERM', interrupt);
};
function interrupt(signal: NodeJS.Signals): void {
  signals++;
  if (drainMs === undefined || signals > 1) killAllSandboxes();
  if (signals > 1) {
    // "Now": die of the signal, as its default action does. Not process.exit(), which waits for Node's worker
    // threads, and one stuck in a system call (reading a FIFO nobody writes to, a hung NFS mount) never returns.
    stopListening();
    process.kill(process.pid, signal);
    return;
  }
  controller.abort();
  const grace = drainMs ?? GRACE_MS;
  setTimeout(() => {
    process.stderr.write(`rltask: interrupted; still busy ${grace / 1000} s after the signal, exiting anyway\n`);
    // Should process.exit() itself wait on a stuck thread (see above), a second signal still ends the process.
    stopListening();
    process.exit(INTERRUPTED);
  }, grace).unref();
}
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);
process.on('exit', () => killAllSandboxes());
// A closed stdout (e.g. `| head`) is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

const argv = process.argv.slice(2);
/**
 * An error nothing reported (a bug): one line, the stack trace only under --debug, exit 3. Without this, Node
 * prints the stack and exits 1, which reads as a failing verdict.
 */
function fatal(e: unknown): void {
  const detail = e instanceof Error ? (argv.includes('--debug') ? (e.stack ?? e.message) : `${e.message.split('\n', 1)[0]} (re-run with --debug for the stack trace)`) : String(e);
  process.stderr.write(`rltask: internal error: ${detail}\n`);
  process.exit(3);
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

// No top-level await: the production bundle is CommonJS (scripts/build.ts), so that V8 can cache its compiled code.
main(argv, {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTty: process.stderr.isTTY === true,
  env: process.env,
  signal: controller.signal,
  drainOnSignal: (graceMs) => {
    drainMs = graceMs;
  },
}).then((code) => {
  // Whatever a verb made of its work after the signal (dropped grades, failed ones), it was interrupted; a verb
  // that drains on a signal says itself how it ended.
  process.exitCode = controller.signal.aborted && drainMs === undefined ? INTERRUPTED : code;
}, fatal);
