import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import { RltaskError } from '../errors.ts';
import type { Check } from '../runtime/Check.ts';
import type { TaskSpec } from '../task/loadTask.ts';

/** A workspace check is a line of the grade's report like any other. */
export type WorkspaceCheck = Check;

/** A workspace read as the task says: the editable files' text, and a check per task file. */
export interface Submission {
  /** One check per protected and editable file, in task order. */
  readonly checks: readonly WorkspaceCheck[];
  /** Contents of the editable files that could be read. */
  readonly editable: ReadonlyMap<string, string>;
}

type Read = { kind: 'ok'; bytes: Buffer } | { kind: 'missing' | 'symlink' | 'not-a-file' | 'too-big' | 'unreadable'; detail?: string };

/** Read a file without following symlinks anywhere on its path inside the workspace. */
async function readRegular(root: string, rel: string, cap: number): Promise<Read> {
  const parts = rel.split('/');
  let at = root;
  for (const part of parts.slice(0, -1)) {
    at = path.join(at, part);
    try {
      const st = await lstat(at);
      if (st.isSymbolicLink()) return { kind: 'symlink' };
      if (!st.isDirectory()) return { kind: 'not-a-file' };
    } catch {
      return { kind: 'missing' };
    }
  }
  let handle;
  try {
    handle = await open(path.join(root, rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'symlink' };
    return { kind: 'unreadable', detail: code ?? String(e) };
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { kind: 'not-a-file' };
    if (st.size > cap) return { kind: 'too-big', detail: `${st.size} bytes` };
    const buf = Buffer.alloc(cap + 1);
    const { bytesRead } = await handle.read(buf, 0, cap + 1, 0);
    if (bytesRead > cap) return { kind: 'too-big', detail: `more than ${cap} bytes` };
    return { kind: 'ok', bytes: buf.subarray(0, bytesRead) };
  } finally {
    await handle.close();
  }
}

function describeRead(file: string, r: Exclude<Read, { kind: 'ok' }>, cap: number): string {
  switch (r.kind) {
    case 'missing':
      return `${file} is missing`;
    case 'symlink':
      return `${file} is a symlink (or under one); it must be a regular file`;
    case 'not-a-file':
      return `${file} is not a regular file`;
    case 'too-big':
      return `${file} is larger than the task's limit of ${cap} bytes (${r.detail})`;
    case 'unreadable':
      return `${file} cannot be read (${r.detail})`;
  }
}

function firstDifferentLine(a: string, b: string): number {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) return i + 1;
  return 1;
}

/**
 * Read a workspace the way the task spec says: protected files must be byte-identical to the spec, editable
 * files must be regular UTF-8 files under the size cap. Nothing else in the workspace is looked at, so extra
 * files (a package.json, node_modules/, a tsconfig) cannot change the verdict.
 * Throws E_WORKSPACE only when `dir` itself is not a usable directory.
 */
export async function readSubmission(spec: TaskSpec, dir: string): Promise<Submission> {
  const root = path.resolve(dir);
  let st;
  try {
    st = await lstat(root);
  } catch {
    throw new RltaskError('E_WORKSPACE', `workspace ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new RltaskError('E_WORKSPACE', `workspace ${dir} is not a directory`);
  const checks: WorkspaceCheck[] = [];
  const editable = new Map<string, string>();
  const cap = spec.limits.fileBytes;
  for (const f of spec.files) {
    if (f.role === 'context') continue;
    const expected = Buffer.from(f.content, 'utf8');
    const r = await readRegular(root, f.path, f.role === 'protected' ? Math.max(cap, expected.length) : cap);
    if (f.role === 'protected') {
      const id = `protected:${f.path}`;
      if (r.kind !== 'ok') checks.push({ id, passed: false, message: `${describeRead(f.path, r, cap)}; protected files must stay exactly as given` });
      else if (!r.bytes.equals(expected)) {
        checks.push({ id, passed: false, message: `${f.path} was modified (first difference at line ${firstDifferentLine(r.bytes.toString('utf8'), f.content)}); protected files must stay byte-identical` });
      } else checks.push({ id, passed: true, message: `${f.path} is unchanged` });
      continue;
    }
    const id = `editable:${f.path}`;
    if (r.kind !== 'ok') {
      checks.push({ id, passed: false, message: describeRead(f.path, r, cap) });
      continue;
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(r.bytes);
    } catch {
      checks.push({ id, passed: false, message: `${f.path} is not valid UTF-8` });
      continue;
    }
    editable.set(f.path, text);
    checks.push({ id, passed: true, message: `${f.path}: ${r.bytes.length} bytes` });
  }
  return { checks, editable };
}
