import type { TaskSpec } from '../spec/loadTask.ts';
import { readSubmission } from './readSubmission.ts';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';

/**
 * The task's files as they are now in a workspace (edited or not), read without following symlinks; files that
 * are missing, oversized or not regular are left out. Used to run the visible tests, not to grade.
 */
export async function readWorkspaceFiles(spec: TaskSpec, dir: string): Promise<Map<string, string>> {
  await readSubmission(spec, dir); // throws E_WORKSPACE when dir is unusable
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
