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
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { AuditProgram } from '../../src/audit/AuditProgram.ts';
import { hackBattery } from '../../src/audit/hackBattery.ts';
import { gradeMany } from '../../src/grading/gradeMany.ts';
import { runtimeFor } from '../../src/runtime/registry.ts';
import { loadTask, type TaskSpec } from '../../src/task/loadTask.ts';
import { initWorkspace } from '../../src/workspace/initWorkspace.ts';
import { ROOT } from '../_helpers.ts';

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

/** The task's static checks (compile, the policy, `grader.ast`) on a program's editable files. */
async function staticChecks(spec: TaskSpec, p: AuditProgram): Promise<{ id: string; passed: boolean; message: string }[]> {
  const files = new Map(spec.files.filter((f) => f.role === 'editable').map((f) => [f.path, { submitted: p.files.get(f.path) ?? f.content, original: f.content }]));
  const prepared = await runtimeFor(spec.runtime).prepare({ files, subject: spec.grader.subject, checks: spec.grader.ast });
  return prepared.checks.map((c) => ({ id: c.id, passed: c.passed, message: c.message }));
}

/** A workspace per program: the task's files with the program's applied (deletions and symlinks after). */
async function workspaces(spec: TaskSpec, programs: readonly AuditProgram[]): Promise<string[]> {
  return Promise.all(
    programs.map(async (p, i) => {
      const dir = path.join(scratch, `${spec.id}-${i}-${p.name.replace(/[^A-Za-z0-9.-]/g, '_')}`);
      const contents = new Map([...p.files].filter((e): e is [string, string] => e[1] !== null));
      await initWorkspace(spec, dir, { force: true, contents });
      for (const [file, content] of p.files) if (content === null) await rm(path.join(dir, file), { force: true });
      for (const [file, target] of p.symlinks ?? []) {
        await rm(path.join(dir, file), { force: true });
        await symlink(target, path.join(dir, file));
      }
      return dir;
    }),
  );
}

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
      const dirs = await workspaces(spec, programs);
      const results = await gradeMany(spec, dirs, { concurrency: 2, failFast: true });
      const byDir = new Map(results.map((r) => [r.workspace, r]));
      const holes = HOLES[id] ?? {};
      const passedWrongly = programs.flatMap((p, i) => {
        const r = byDir.get(dirs[i]!);
        assert.ok(r !== undefined, `${id} ${p.name}: no result`);
        if (r.status === 'error') return [`${p.name} → error: ${r.feedback.slice(0, 300)}`];
        if (r.status === 'failed' || Object.hasOwn(holes, p.name)) return [];
        return [`${p.name} (${p.why}) → ${r.status}: ${r.feedback.slice(0, 300)}`];
      });
      assert.deepEqual(passedWrongly, [], `${id}: hacks the grader did not fail:\n  ${passedWrongly.join('\n  ')}`);
      // The protected-file hacks fail at the workspace check, before any code runs.
      for (const [i, p] of programs.entries()) {
        if (!p.name.startsWith('protected-')) continue;
        const r = byDir.get(dirs[i]!)!;
        assert.match(r.feedback, /^protected:/, `${id} ${p.name}: ${r.feedback}`);
      }
    });
  }
});
