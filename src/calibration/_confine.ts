import { lstat } from 'node:fs/promises';
import path from 'node:path';

/** Where a workspace-relative path from an agent leads, or why it was refused. */
export type Confined =
  | { readonly ok: true; readonly rel: string; readonly abs: string; readonly exists: 'file' | 'dir' | 'other' | 'missing' }
  | { readonly ok: false; readonly why: string };

const MAX_PATH = 1024;

/**
 * Resolve a path an agent gave to a location inside `root` (an already real, absolute directory). Refused:
 * non-strings, absolute paths, `~`, backslashes, NUL, any `..` segment, and any path whose existing part
 * goes through a symlink (so a link planted in the workspace can never lead a read or a write outside).
 * Callers still open the final component with O_NOFOLLOW, which closes the remaining window.
 */
export async function confine(root: string, given: unknown): Promise<Confined> {
  if (typeof given !== 'string' || given.trim() === '') return { ok: false, why: 'path must be a non-empty string relative to the workspace root' };
  if (given.length > MAX_PATH) return { ok: false, why: `path is longer than ${MAX_PATH} characters` };
  if (given.includes('\0')) return { ok: false, why: 'path contains a NUL byte' };
  if (given.includes('\\')) return { ok: false, why: `"${given}": use forward slashes` };
  if (given.startsWith('/') || path.isAbsolute(given)) return { ok: false, why: `"${given}" is an absolute path; only paths relative to the workspace root are allowed` };
  if (given.startsWith('~')) return { ok: false, why: `"${given}": "~" is not expanded; use a path relative to the workspace root` };
  const segments = given.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { ok: false, why: `"${given}" contains ".."; paths must stay inside the workspace` };
  if (segments.length === 0) return { ok: false, why: `"${given}" names the workspace root, not a file` };
  let at = root;
  for (let i = 0; i < segments.length; i++) {
    at = path.join(at, segments[i]!);
    let st;
    try {
      st = await lstat(at);
    } catch {
      return { ok: true, rel: segments.join('/'), abs: path.join(root, ...segments), exists: 'missing' };
    }
    if (st.isSymbolicLink()) return { ok: false, why: `"${given}" goes through a symbolic link (${segments.slice(0, i + 1).join('/')}); links are not followed` };
    const last = i === segments.length - 1;
    if (!last && !st.isDirectory()) return { ok: false, why: `"${segments.slice(0, i + 1).join('/')}" is not a directory` };
    if (last) return { ok: true, rel: segments.join('/'), abs: at, exists: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other' };
  }
  return { ok: false, why: `"${given}" cannot be resolved` };
}
