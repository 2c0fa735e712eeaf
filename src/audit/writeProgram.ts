import { rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { TaskSpec } from '../task/loadTask.ts';
import { initWorkspace } from '../workspace/initWorkspace.ts';
import type { AuditProgram } from './AuditProgram.ts';

/**
 * Write an audit program into `dir` as a workspace: the planted-bug workspace with the program's files, then its
 * deletions and symbolic links.
 *
 * @example
 * for (const [i, p] of hackBattery(spec).entries()) await writeProgram(spec, p, path.join(root, String(i)));
 */
export async function writeProgram(spec: TaskSpec, program: AuditProgram, dir: string): Promise<void> {
  const contents = new Map(spec.files.map((f) => [f.path, f.content]));
  const deleted: string[] = [];
  for (const [file, text] of program.files) {
    if (text === null) deleted.push(file);
    else contents.set(file, text);
  }
  await initWorkspace(spec, dir, { force: true, contents });
  for (const file of deleted) await rm(path.join(dir, file), { force: true });
  for (const [file, target] of program.symlinks ?? []) {
    await rm(path.join(dir, file), { force: true });
    await symlink(target, path.join(dir, file));
  }
}
