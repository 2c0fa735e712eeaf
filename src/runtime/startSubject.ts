import { SubmissionFault } from '../errors.ts';
import { Oracle } from '../sandbox/Oracle.ts';
import type { LoadResult, Sandbox, SandboxOptions } from '../sandbox/Sandbox.ts';
import type { Program, RunLimits, Started, StartOptions } from './Runtime.ts';

/** The limits of one child from a task's limits, the same for every runtime (CPU seconds are a backstop). */
export function childOptionsOf(limits: RunLimits): SandboxOptions {
  return { memoryMb: limits.memoryMb, outputBytes: limits.outputBytes, cpuSeconds: Math.ceil(limits.timeMs / 1000) + 2 };
}

/**
 * `Runtime.start` for a runtime whose children speak the sandbox protocol: take a child (from `options.child`, a
 * pool, or `startChild`), load the program into it and wrap it as a subject with an oracle. The runtimes differ
 * only in how a child is started.
 */
export async function startSubject(program: Program, options: StartOptions, startChild: (o: SandboxOptions) => Promise<Sandbox>): Promise<Started> {
  const sandbox = await (options.child ?? startChild)(childOptionsOf(options.limits));
  const child = {
    get output() {
      return sandbox.output;
    },
    dispose: () => sandbox.dispose(),
  };
  try {
    const deadline = performance.now() + options.limits.timeMs;
    let loaded: LoadResult;
    try {
      loaded = await sandbox.load(program.code, program.file, options.randomSeed, options.limits.timeMs);
    } catch (e) {
      // The child misbehaved while loading (out of time or memory, died): the program's failure, with its output.
      if (!(e instanceof SubmissionFault)) throw e;
      return { ok: false, thrown: { name: e.name, message: e.message }, fault: true, child };
    }
    if (!loaded.ok) return { ok: false, thrown: loaded.thrown, fault: false, child };
    const subject = {
      oracle: new Oracle(sandbox, deadline),
      exports: loaded.exports,
      deadline,
      get output() {
        return sandbox.output;
      },
      dispose: () => sandbox.dispose(),
      run: (p: Program, randomSeed: number, timeoutMs: number) => sandbox.load(p.code, p.file, randomSeed, timeoutMs),
    };
    return { ok: true, subject };
  } catch (e) {
    await sandbox.dispose();
    throw e;
  }
}
