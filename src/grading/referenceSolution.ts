import { createHash } from 'node:crypto';
import type { ReferenceSolution } from '../../properties/PropertyContract.ts';
import { RltaskError } from '../errors.ts';
import type { RunLimits, Runtime, Subject } from '../runtime/Runtime.ts';
import type { Oracle } from '../sandbox/Oracle.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { referenceSource } from '../task/referenceSource.ts';

/** A reference solution's code: the subject file as the solution leaves it. */
export interface ReferenceCode {
  readonly taskId: string;
  readonly file: string;
  readonly source: string;
  readonly limits: RunLimits;
}

const codes = new WeakMap<TaskSpec, ReferenceCode>();
const keys = new WeakMap<ReferenceCode, string>();

/** The reference code of a loaded task (worked out once per task object, not per grade). */
export function referenceCodeOf(spec: TaskSpec): ReferenceCode {
  let code = codes.get(spec);
  if (code === undefined) {
    code = { taskId: spec.id, file: spec.grader.subject.file, source: referenceSource(spec), limits: spec.limits };
    codes.set(spec, code);
  }
  return code;
}

function keyOf(code: ReferenceCode): string {
  let key = keys.get(code);
  if (key === undefined) {
    key = createHash('sha256').update(code.file).update('\0').update(code.source).digest('hex');
    keys.set(code, key);
  }
  return key;
}

/**
 * The reference solution for one grade's properties: started in its own child (same runtime and limits as the
 * submission) when a property first needs an answer that no cache holds, and stopped by `dispose()` at the
 * grade's end. A reference that does not compile or load is the task author's error (`E_SPEC`).
 */
export function referenceSolution(code: ReferenceCode, runtime: Runtime, randomSeed: number): { readonly solution: ReferenceSolution; dispose(): Promise<void> } {
  let started: Promise<Subject> | undefined;
  const start = async (): Promise<Subject> => {
    const compiled = await runtime.compile(code.source, code.file);
    if (!compiled.ok) throw new RltaskError('E_SPEC', `${code.taskId}: the reference solution does not compile: ${compiled.message}`);
    const s = await runtime.start(compiled.program, { limits: code.limits, randomSeed });
    if (!s.ok) {
      await s.child.dispose();
      throw new RltaskError('E_SPEC', `${code.taskId}: the reference solution does not load: ${s.thrown.name}: ${s.thrown.message}`);
    }
    return s.subject;
  };
  const solution: ReferenceSolution = {
    taskId: code.taskId,
    key: keyOf(code),
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
