import { Sandbox, type SandboxOptions } from '../../sandbox/Sandbox.ts';
import type { Compiled, Prepared, PrepareInput, Program, Runtime } from '../Runtime.ts';
import { policy as policyDefinition } from '../checks/policy.ts';
import { childOptionsOf, startSubject } from '../startSubject.ts';
import { pythonLauncher } from './pythonZygote.ts';
import { mutatePython } from './mutatePython.ts';
import { classMemberNames, readOriginalFacts, runStaticChecks } from './staticChecks.ts';
import { analyzePythonIn } from './analyzePython.ts';

/**
 * A program for the Python harness: the files it may import (from memory, by module name) and the entry; `main`
 * runs the entry as `__main__` (visible tests), otherwise it is imported as a module (the subject).
 */
function programOf(files: ReadonlyMap<string, string>, entry: string, main: boolean): Program {
  const py = Object.fromEntries([...files].filter(([p]) => p.endsWith('.py')));
  return { code: JSON.stringify({ files: py, entry, main }), file: entry };
}

async function prepare(input: PrepareInput): Promise<Prepared> {
  // The task's original files are read by a child of their own while the grade's starts (runStaticChecks awaits
  // them; a failure there is reported by it, not here).
  for (const read of readOriginalFacts(input)) read.catch(() => undefined);
  // The grade's own child reads the code before it is loaded there: one process per grade instead of two.
  const child = await (input.child ?? startChild)(childOptionsOf(input.limits));
  let kept = false;
  try {
    const result = await runStaticChecks(input, (files) => analyzePythonIn(child, files));
    if (!result.compiles) return { ok: false, checks: result.checks, refusal: 'the code does not compile' };
    const off = input.policyOff === true;
    if (!result.policyPassed && !off) return { ok: false, checks: result.checks, refusal: 'the permissions policy refused the code' };
    const checks = off ? result.checks.map((c) => (c.id === policyDefinition.check ? { id: c.id, passed: false, skipped: true, message: 'not run: the policy is off (test-only)' } : c)) : result.checks;
    const editable = new Map([...input.files].map(([p, f]) => [p, f.submitted]));
    kept = true;
    return { ok: true, checks, program: programOf(editable, input.subject.file, false), child };
  } finally {
    if (!kept) await child.dispose();
  }
}

const startChild = (options: SandboxOptions): Promise<Sandbox> => Sandbox.start(options, pythonLauncher);

/**
 * Python: Python's own `ast` reads the submission for the static checks, never executing it, in the grade's own
 * sandboxed child before the submission is loaded there (`prepare` hands that child on to `start`); the code runs
 * in that Python child with numpy inside bubblewrap (src/runtime/python/pythonSandbox.ts), answering the same
 * oracle protocol as the TypeScript child.
 */
export const pythonRuntime: Runtime = {
  name: 'python',
  prepare,
  compile: (source, file) => Promise.resolve<Compiled>({ ok: true, program: programOf(new Map([[file, source]]), file, false) }),
  bundleTests: (entry, files) => Promise.resolve<Compiled>({ ok: true, program: programOf(files, entry, true) }),
  start: (program, options) => startSubject(program, options, startChild),
  childOptions: childOptionsOf,
  startChild,
  classMembers: classMemberNames,
  mutants: mutatePython,
  // Fixed: without bubblewrap a Python grade is an error, never a weaker sandbox.
  isolationLayers: async () => ['static-policy', 'bubblewrap', 'mount-namespace', 'pid-namespace', 'network-namespace', 'ipc-namespace', 'uts-namespace', 'unprivileged-uid', 'no-new-privileges', 'rlimits', 'process-group'],
};
