import { RltaskError } from '../errors.ts';
import type { Edit } from './taskSchema.ts';

/** Apply one edit whose `find` text must occur exactly once. */
export function applyEdit(content: string, e: Edit): { ok: true; content: string } | { ok: false; why: string } {
  const first = content.indexOf(e.find);
  if (first < 0) return { ok: false, why: `"find" text does not occur in ${e.file}` };
  if (content.indexOf(e.find, first + 1) >= 0) return { ok: false, why: `"find" text occurs more than once in ${e.file}; make it unique` };
  return { ok: true, content: content.slice(0, first) + e.replace + content.slice(first + e.find.length) };
}

/** Apply edits in order to the task's files; returns the new contents of every file. */
export function applyEdits(files: ReadonlyMap<string, string>, edits: readonly Edit[]): Map<string, string> {
  const out = new Map(files);
  for (const e of edits) {
    const content = out.get(e.file);
    if (content === undefined) throw new RltaskError('E_SPEC', `edit refers to ${e.file}, which is not a task file`);
    const r = applyEdit(content, e);
    if (!r.ok) throw new RltaskError('E_SPEC', r.why);
    out.set(e.file, r.content);
  }
  return out;
}
