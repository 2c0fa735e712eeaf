import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import { RltaskError } from '../errors.ts';
import type { TaskSpec } from '../task/loadTask.ts';

/**
 * The task's files as they are now in a workspace (edited or not), read without following symlinks; files that
 * are missing, oversized or not regular are left out. Used to run the visible tests, not to grade.
 */
export async function readWorkspaceFiles(spec: TaskSpec, dir: string): Promise<Map<string, string>> {
  const st = await lstat(dir).catch(() => null);
  if (st === null || !st.isDirectory()) throw new RltaskError('E_WORKSPACE', `workspace ${dir} is not a directory`);
  const out = new Map<string, string>();
  for (const f of spec.files) {
    try {
      const h = await open(path.join(path.resolve(dir), f.path), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        const st = await h.stat();
        if (st.isFile() && st.size <= Math.max(spec.limits.fileBytes, Buffer.byteLength(f.content))) out.set(f.path, await h.readFile('utf8'));
      } finally {
        await h.close();
      }
    } catch {
      // Missing or a symlink: left out, and the bundle will say what it could not find.
    }
  }
  return out;
}
