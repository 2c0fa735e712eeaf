/**
 * The red team's families of wrong fixes, on every task they apply to.
 *
 * 1. Every task names, among its decoys, at least one wrong fix of each family that applies to it (the decoys'
 *    verdicts are checked by `check` and by the demo in spec/tasks/tasks.spec.ts).
 * 2. Generic wrong fixes of every family, built from each task's own reference and bug with no per-task code,
 *    are the audit's chimeras (src/audit/chimeras.ts): spec/audit/chimeras.spec.ts grades them on every task.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadTask, type TaskSpec } from '../../src/task/loadTask.ts';
import { decoyFamilies } from '../../src/task/taskSchema.ts';
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
  'stable-softmax-py': ['wrong-formula', 'behaviour-over-time', 'inputs', 'precision', 'self-comparison', 'contract', 'visible-tests'],
};

const tasks = new Map<string, TaskSpec>();
for (const id of Object.keys(APPLIES)) tasks.set(id, await loadTask(path.join(ROOT, 'tasks', `${id}.yaml`)));

describe('each task has decoys of every family that applies to it', () => {
  for (const [id, spec] of tasks) {
    it(id, () => {
      const have = new Set(spec.decoys.filter((d) => d.edits.length > 0).map((d) => d.family));
      const missing = APPLIES[id]!.filter((f) => !have.has(f));
      assert.deepEqual(missing, [], `${id} has no decoy of: ${missing.join(', ')}`);
    });
  }
});

