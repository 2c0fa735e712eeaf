#!/usr/bin/env node
// The CLI entry point: the only place that touches argv, stdio, signals and the exit code.
import { main } from './cli/main.ts';
import { killAllSandboxes } from './sandbox/Sandbox.ts';
import { tuneV8 } from './startup/tuneV8.ts';

tuneV8();

const controller = new AbortController();
let interrupted = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted++;
    controller.abort();
    killAllSandboxes();
    if (interrupted > 1) process.exit(130);
  });
}
process.on('exit', () => killAllSandboxes());
// A closed stdout (e.g. `| head`) is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

// No top-level await: the production bundle is CommonJS (scripts/build.ts), so that V8 can cache its compiled code.
void main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTty: process.stderr.isTTY === true,
  env: process.env,
  signal: controller.signal,
}).then((code) => {
  process.exitCode = controller.signal.aborted && code === 0 ? 130 : code;
});
