#!/usr/bin/env node
// The CLI entry point: the only place that touches argv, stdio, signals and the exit code.
import v8 from 'node:v8';
import { main } from './cli/main.ts';
import { killAllSandboxes } from './sandbox/Sandbox.ts';

// Grading many workspaces in one process hits a V8 heuristic: once the young generation has grown to its
// 32 MB maximum, an old generation of ~35 MB live (mostly the TypeScript compiler) is left less free room
// than the young generation's size, and V8 then starts a full mark-compact after almost every scavenge —
// about one per grade, which doubled the grading process's CPU after the first few dozen grades (80 instead of
// 27 ms per grade). Letting the old generation grow to 3× its live size before the next full GC avoids that.
// Set at run time (the flag is read when V8 recomputes the limit), so V8's code caches stay valid.
v8.setFlagsFromString('--heap-growing-percent=200');

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
