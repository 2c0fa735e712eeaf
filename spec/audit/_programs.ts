import path from 'node:path';
import type { GradeResult } from '../../src/grading/GradeResult.ts';
import { gradeMany } from '../../src/grading/gradeMany.ts';
import type { AuditProgram } from '../../src/audit/AuditProgram.ts';
import { writeProgram } from '../../src/audit/writeProgram.ts';
import { runtimeFor } from '../../src/runtime/registry.ts';
import type { TaskSpec } from '../../src/task/loadTask.ts';

/** The task's static checks (compile, the policy, `grader.ast`) on a program's editable files. */
export async function staticChecks(spec: TaskSpec, p: AuditProgram): Promise<{ id: string; passed: boolean; message: string }[]> {
  const files = new Map(spec.files.filter((f) => f.role === 'editable').map((f) => [f.path, { submitted: p.files.get(f.path) ?? f.content, original: f.content }]));
  const prepared = await runtimeFor(spec.runtime).prepare({ files, subject: spec.grader.subject, checks: spec.grader.ast, limits: spec.limits });
  if (prepared.ok) await prepared.child?.dispose();
  return prepared.checks.map((c) => ({ id: c.id, passed: c.passed, message: c.message }));
}

/** A workspace per program under `root`, as the audit writes them. */
export function workspaces(spec: TaskSpec, programs: readonly AuditProgram[], root: string): Promise<string[]> {
  return Promise.all(
    programs.map(async (p, i) => {
      const dir = path.join(root, `${spec.id}-${i}-${p.name.replace(/[^A-Za-z0-9.-]/g, '_')}`);
      await writeProgram(spec, p, dir);
      return dir;
    }),
  );
}

/**
 * Grade the programs as one fail-fast batch; returns each program's result, and a line for each one that was not
 * failed (except the known holes, by name).
 */
export async function gradePrograms(spec: TaskSpec, programs: readonly AuditProgram[], root: string, holes: Readonly<Record<string, string>> = {}): Promise<{ results: GradeResult[]; notFailed: string[] }> {
  const dirs = await workspaces(spec, programs, root);
  const results = await gradeMany(spec, dirs, { concurrency: 2, failFast: true });
  const byDir = new Map(results.map((r) => [r.workspace, r]));
  const ordered = dirs.map((d, i) => {
    const r = byDir.get(d);
    if (r === undefined) throw new Error(`${spec.id} ${programs[i]!.name}: no result`);
    return r;
  });
  const notFailed = programs.flatMap((p, i) => {
    const r = ordered[i]!;
    if (r.status === 'error') return [`${p.name} → error: ${r.feedback.slice(0, 300)}`];
    if (r.status === 'failed' || Object.hasOwn(holes, p.name)) return [];
    return [`${p.name} (${p.why}) → ${r.status}: ${r.feedback.slice(0, 300)}`];
  });
  return { results: ordered, notFailed };
}
