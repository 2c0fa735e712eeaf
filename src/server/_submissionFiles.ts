import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RltaskError } from '../errors.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { initWorkspace } from '../workspace/initWorkspace.ts';
import { HttpError } from './HttpError.ts';

/** JSON can carry a lone UTF-16 surrogate, which no UTF-8 file can hold. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A request's `files` checked against the task by the rules a workspace has: task paths only, each a string of
 * well-formed Unicode within the task's file size limit. A missing editable file is not an error here (the
 * grade fails it); a protected file that differs is written as sent (the grade's protected check fails it).
 * `field` names where the files are in the request, for the 400's message.
 */
export function submissionFiles(spec: TaskSpec, files: unknown, field: string): Map<string, string> {
  if (typeof files !== 'object' || files === null || Array.isArray(files)) throw new HttpError(400, `${field}: expected an object {path: content}`);
  const known = new Map(spec.files.map((f) => [f.path, f]));
  const out = new Map<string, string>();
  for (const [p, content] of Object.entries(files)) {
    const at = `${field}[${JSON.stringify(p)}]`;
    if (!known.has(p)) {
      const hint = /(^|\/)\.\.(\/|$)/.test(p) || path.isAbsolute(p) || p.includes('\\') ? 'paths are relative to the workspace root, without ".." or "\\"; ' : '';
      throw new HttpError(400, `${at}: not one of the task's files (${hint}the task has ${[...known.keys()].join(', ')})`);
    }
    if (typeof content !== 'string') throw new HttpError(400, `${at}: expected the file's content as a string`);
    if (LONE_SURROGATE.test(content)) throw new HttpError(400, `${at}: not valid UTF-8 text (a lone surrogate)`);
    const file = known.get(p);
    const limit = Math.max(spec.limits.fileBytes, Buffer.byteLength(file?.content ?? ''));
    if (Buffer.byteLength(content) > limit) throw new HttpError(400, `${at}: ${Buffer.byteLength(content)} bytes, over the task's limit of ${limit}`);
    out.set(p, content);
  }
  return out;
}

/**
 * Materialize a submission into a fresh temporary workspace: the task's protected and context files as the task
 * has them unless sent, the editable files as sent (an editable file not sent is left out). Returns the
 * directory and its remover.
 */
export async function writeSubmission(spec: TaskSpec, files: ReadonlyMap<string, string>): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `rltask-serve-${spec.id}-`)).catch((e: unknown) => {
    throw new RltaskError('E_INTERNAL', `cannot create a temporary workspace in ${tmpdir()} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  });
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const contents = new Map<string, string>();
    for (const f of spec.files) {
      const sent = files.get(f.path);
      if (sent !== undefined) contents.set(f.path, sent);
      else if (f.role !== 'editable') contents.set(f.path, f.content);
    }
    await initWorkspace({ ...spec, files: spec.files.filter((f) => contents.has(f.path)) }, dir, { force: true, contents });
    return { dir, remove };
  } catch (e) {
    await remove();
    throw e;
  }
}
