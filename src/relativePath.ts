import path from 'node:path/posix';
import { z } from 'zod';

/** A workspace-relative path: no absolute paths, no `..`, no `.` segments, no backslashes, normalized. */
export const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.includes('\\') && !p.includes('\0'), { message: 'use forward slashes and no NUL bytes' })
  .refine((p) => !path.isAbsolute(p), { message: 'must be a relative path inside the workspace, not an absolute one' })
  .refine((p) => path.normalize(p) === p && !p.split('/').some((s) => s === '..' || s === '.' || s === ''), {
    message: 'must be a normalized relative path that stays inside the workspace (no "..", ".", or empty segments)',
  });
