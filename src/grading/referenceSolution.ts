import { createHash } from 'node:crypto';
import type { ReferenceSolution } from '../../properties/PropertyContract.ts';
import { RltaskError } from '../errors.ts';
import type { Oracle } from '../sandbox/Oracle.ts';
import type { Runtime, Subject } from '../runtime/Runtime.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { referenceSource } from '../task/referenceSource.ts';

const keys = new WeakMap<TaskSpec, string>();

/**
 * The task's reference solution for one grade's properties: started in its own child (same runtime and limits
 * as the submission) when a property first needs an answer that no cache holds, and stopped by `dispose()` at
 * the grade's end. A reference that does not compile or load is the task author's error (`E_SPEC`).
 */
export function referenceSolution(spec: TaskSpec, runtime: Runtime, randomSeed: number): { readonly solution: ReferenceSolution; dispose(): Promise<void> } {
  const file = spec.grader.subject.file;
  let started: Promise<Subject> | undefined;
  const start = async (): Promise<Subject> => {
    const compiled = await runtime.compile(referenceSource(spec), file);
    if (!compiled.ok) throw new RltaskError('E_SPEC', `${spec.id}: the reference solution does not compile: ${compiled.message}`);
    const s = await runtime.start(compiled.program, { limits: spec.limits, randomSeed });
    if (!s.ok) {
      await s.child.dispose();
      throw new RltaskError('E_SPEC', `${spec.id}: the reference solution does not load: ${s.thrown.name}: ${s.thrown.message}`);
    }
    return s.subject;
  };
  let key = keys.get(spec);
  if (key === undefined) {
    key = createHash('sha256').update(file).update('\0').update(referenceSource(spec)).digest('hex');
    keys.set(spec, key);
  }
  const solution: ReferenceSolution = {
    taskId: spec.id,
    key,
    oracle: async (): Promise<Oracle> => (await (started ??= start())).oracle,
  };
  return {
    solution,
    async dispose() {
      const s = started;
      started = undefined;
      if (s === undefined) return;
      try {
        await (await s).dispose();
      } catch {
        // It never started: nothing to stop.
      }
    },
  };
}
