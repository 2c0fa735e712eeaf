/**
 * The red team's families of wrong fixes, on every task they apply to.
 *
 * 1. Every task names, among its decoys, at least one wrong fix of each family that applies to it (the decoys'
 *    verdicts are checked by `check` and by the demo in spec/tasks/tasks.spec.ts).
 * 2. Generic wrong fixes, built from each function-export task's own reference and bug with no per-task code
 *    (the audit's chimeras, src/audit/chimeras.ts): right except under a trigger, or off by 2,000 ulps where
 *    the tolerance is stated in ulps, or breaking the calling contract, or memoising the previous answer. Each
 *    must fail, through the full grade (static checks included: the chimeras keep the task's interface). One
 *    batch per task. spec/audit/chimeras.spec.ts grades the same programs on every task, the class one too.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { chimeras } from '../../src/audit/chimeras.ts';
import { gradeMany } from '../../src/grading/gradeMany.ts';
import { loadTask, type TaskSpec } from '../../src/task/loadTask.ts';
import { decoyFamilies } from '../../src/task/taskSchema.ts';
import { initWorkspace } from '../../src/workspace/initWorkspace.ts';
import { ROOT } from '../_helpers.ts';

type DecoyFamily = (typeof decoyFamilies)[number];

/**
 * Which families apply to which task. Left out where the family cannot occur: randomness for deterministic
 * functions; self-comparison where no property compares a submission with itself; precision where the prompt
 * states a formula but no accuracy (Adam: its tolerance is what correct rewrites of the formula need); behaviour
 * over time wherever a property makes long runs of calls, and the generic chimeras below test it on every task.
 */
const APPLIES: Readonly<Record<string, readonly DecoyFamily[]>> = {
  'variance-dropout': ['wrong-formula', 'behaviour-over-time', 'randomness', 'inputs', 'contract', 'visible-tests'],
  'adam-bias-correction': ['wrong-formula', 'behaviour-over-time', 'inputs', 'contract'],
  'he-init': ['wrong-formula', 'behaviour-over-time', 'randomness', 'inputs', 'contract'],
  'layer-norm': ['wrong-formula', 'behaviour-over-time', 'inputs', 'precision', 'self-comparison', 'contract'],
  softplus: ['wrong-formula', 'behaviour-over-time', 'inputs', 'precision', 'contract'],
  'stable-softmax': ['wrong-formula', 'behaviour-over-time', 'inputs', 'precision', 'self-comparison', 'contract'],
};

/** The function-export tasks (the chimeras choose their effect, self-comparison and contract cases from the task file). */
const FUNCTION_TASKS: readonly string[] = ['adam-bias-correction', 'he-init', 'layer-norm', 'softplus', 'stable-softmax'];

const tasks = new Map<string, TaskSpec>();
for (const id of Object.keys(APPLIES)) tasks.set(id, await loadTask(path.join(ROOT, 'tasks', `${id}.yaml`)));

const scratch = await mkdtemp(path.join(tmpdir(), 'rltask-families-'));
after(() => rm(scratch, { recursive: true, force: true }));

describe('each task has decoys of every family that applies to it', () => {
  for (const [id, spec] of tasks) {
    it(id, () => {
      const have = new Set(spec.decoys.filter((d) => d.edits.length > 0).map((d) => d.family));
      const missing = APPLIES[id]!.filter((f) => !have.has(f));
      assert.deepEqual(missing, [], `${id} has no decoy of: ${missing.join(', ')}`);
    });
  }
});

describe('generic wrong fixes of every family fail on every function-export task', () => {
  for (const id of FUNCTION_TASKS) {
    it(id, async () => {
      const spec = tasks.get(id)!;
      const file = spec.grader.subject.file;
      const cases = chimeras(spec);
      assert.ok(cases.length >= 5, `${id}: only ${cases.length} chimeras`);
      const dirs = await Promise.all(
        cases.map(async (c) => {
          const dir = path.join(scratch, `${id}-${c.name}`);
          await initWorkspace(spec, dir, { force: true, contents: new Map([[file, c.files.get(file)!]]) });
          return dir;
        }),
      );
      const results = await gradeMany(spec, dirs, { concurrency: 2, failFast: true });
      const byDir = new Map(results.map((r) => [r.workspace, r]));
      const wrong = cases.flatMap((c, i) => {
        const r = byDir.get(dirs[i]!)!;
        return r.status === 'failed' ? [] : [`${c.name} (${c.why}) → ${r.status}: ${r.feedback.slice(0, 200)}`];
      });
      assert.deepEqual(wrong, [], `${id}: generic wrong fixes the grader did not fail:\n  ${wrong.join('\n  ')}`);
    });
  }
});
