/**
 * The audit's standard hack battery (src/audit/hackBattery.ts): the same tricks on every task, each with the
 * planted bug or no real fix.
 *
 * 1. Generation: the same battery (the same names) for every task, unique names; every hack compiles and passes
 *    the permissions policy and the task's static checks except the three that break the policy on purpose, so
 *    that it is the properties (or the workspace checks, for protected files) that must catch it; the
 *    protected-file hacks touch the protected files only through `files` and `symlinks`.
 * 2. Every hack of every task gets status `failed` from the real grader, one `gradeMany` batch per task.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { hackBattery } from '../../src/audit/hackBattery.ts';
import { loadTask, type TaskSpec } from '../../src/task/loadTask.ts';
import { ROOT } from '../_helpers.ts';
import { gradePrograms, staticChecks } from './_programs.ts';

const TASKS = ['adam-bias-correction', 'he-init', 'layer-norm', 'softplus', 'stable-softmax', 'variance-dropout'] as const;

/** The hacks that break the permissions policy on purpose (they name `process` or `Proxy`). */
const BREAK_THE_POLICY: ReadonlySet<string> = new Set(['process-exit-at-import', 'process-exit-in-subject', 'proxy-result']);

/**
 * Hacks that got reward 1: holes in the grader, left out of the "must fail" assertion until the grader is fixed
 * (task → hack name → what lets it through). None today.
 */
const HOLES: Readonly<Record<string, Readonly<Record<string, string>>>> = {};

const tasks = new Map<string, TaskSpec>();
for (const id of TASKS) tasks.set(id, await loadTask(path.join(ROOT, 'tasks', `${id}.yaml`)));

const scratch = await mkdtemp(path.join(tmpdir(), 'rltask-audit-hacks-'));
after(() => rm(scratch, { recursive: true, force: true }));

/** A hack's name with the protected file it names (`protected-edited:adam.test.ts`) made generic. */
const generic = (spec: TaskSpec, name: string): string => {
  const i = name.indexOf(':');
  return i < 0 ? name : `${name.slice(0, i)}:<${spec.files.find((f) => f.path === name.slice(i + 1))?.role ?? 'unknown'}>`;
};

describe('hack battery: generation', () => {
  it('the same battery for every task, with unique names', () => {
    const batteries = [...tasks].map(([id, spec]) => ({ id, names: hackBattery(spec).map((p) => generic(spec, p.name)) }));
    const first = batteries[0]!;
    for (const b of batteries) {
      assert.equal(new Set(b.names).size, b.names.length, `${b.id}: duplicate names`);
      assert.deepEqual(b.names, first.names, `${b.id}'s battery differs from ${first.id}'s`);
    }
    for (const n of ['throw-at-import', 'forged-test-output', 'patched-math-sqrt', 'patched-object-prototype', 'patched-json', 'protected-edited:<protected>', 'protected-deleted:<protected>', 'protected-symlink-to-subject:<protected>', 'protected-symlink-to-dev-null:<protected>', 'return-input', 'memo-first-answer', 'proxy-result', 'subclass-result', 'throw-error']) {
      assert.ok(first.names.includes(n), `the battery has ${n}`);
    }
  });

  for (const [id, spec] of tasks) {
    it(`${id}: every hack compiles and passes the static checks, except the policy breakers; protected files only as declared`, async () => {
      const protectedFiles = new Set(spec.files.filter((f) => f.role === 'protected').map((f) => f.path));
      const subject = spec.grader.subject.file;
      const problems: string[] = [];
      for (const p of hackBattery(spec)) {
        assert.equal(p.kind, 'hack');
        assert.ok(p.why.length > 0, `${id} ${p.name}: no why`);
        assert.ok(p.files.has(subject), `${id} ${p.name}: no subject file`);
        for (const [file] of p.files) if (file !== subject) assert.ok(protectedFiles.has(file) && p.name.startsWith('protected-'), `${id} ${p.name} changes ${file}`);
        for (const [file, target] of p.symlinks ?? []) {
          assert.ok(protectedFiles.has(file), `${id} ${p.name} links ${file}`);
          assert.equal(p.files.get(file), null, `${id} ${p.name}: a linked file is deleted first`);
          assert.ok(target === '/dev/null' || path.posix.join(path.posix.dirname(file), target) === subject, `${id} ${p.name}: target ${target}`);
        }
        const failed = (await staticChecks(spec, p)).filter((c) => !c.passed);
        if (BREAK_THE_POLICY.has(p.name)) {
          if (!failed.some((c) => c.id === 'policy')) problems.push(`${p.name}: the policy let it through`);
        } else for (const c of failed) problems.push(`${p.name}: ${c.id}: ${c.message}`);
      }
      assert.deepEqual(problems, [], `${id}:\n  ${problems.join('\n  ')}`);
    });
  }
});

describe('hack battery: every hack fails on every task', () => {
  for (const [id, spec] of tasks) {
    it(id, async () => {
      const programs = hackBattery(spec);
      const { results, notFailed: passedWrongly } = await gradePrograms(spec, programs, scratch, HOLES[id] ?? {});
      assert.deepEqual(passedWrongly, [], `${id}: hacks the grader did not fail:\n  ${passedWrongly.join('\n  ')}`);
      // The protected-file hacks fail at the workspace check, before any code runs.
      for (const [i, p] of programs.entries()) {
        if (!p.name.startsWith('protected-')) continue;
        const r = results[i]!;
        assert.match(r.feedback, /^protected:/, `${id} ${p.name}: ${r.feedback}`);
      }
    });
  }
});
