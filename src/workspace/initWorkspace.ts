import { lstat, mkdir, readdir, realpath, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RltaskError } from '../errors.ts';
import type { TaskSpec } from '../task/loadTask.ts';

/** How `initWorkspace` writes. */
export interface InitOptions {
  /** Write into a non-empty directory (task files already there are replaced; other files are left alone). */
  readonly force?: boolean;
  /** File contents to write instead of the task's (e.g. the reference solution); keys are task paths. */
  readonly contents?: ReadonlyMap<string, string>;
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Create `dir` and any missing parents, one level at a time. Not `mkdir(dir, { recursive: true })`: where a
 * mkdir fails with ENOENT under a parent that exists (anywhere under /proc), Node's recursive mkdir creates the
 * parent, sees it exists, retries the child, and loops forever at full CPU (Node 20). Here every failure is final.
 */
async function makeDirectory(dir: string, shown: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; !(await exists(d)); d = path.dirname(d)) {
    missing.push(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      await mkdir(d);
    } catch (e) {
      const code = e instanceof Error && 'code' in e ? String(e.code) : String(e);
      // Created meanwhile (another init of the same workspace): as good as created here.
      if (code === 'EEXIST' && (await lstat(d)).isDirectory()) continue;
      throw new RltaskError('E_WORKSPACE', `${shown}: cannot create the directory ${d} (${code})`);
    }
  }
}

/**
 * Materialize a task's files into `dir` (created if missing). Refuses a non-empty directory unless `force`.
 * Every target is checked to stay inside `dir` before anything is written, and existing entries (including
 * symlinks) are unlinked rather than written through.
 *
 * @example
 * await initWorkspace(await loadTask('tasks/variance-dropout.yaml'), '/tmp/ws');
 */
export async function initWorkspace(spec: TaskSpec, dir: string, options: InitOptions = {}): Promise<string[]> {
  const root = path.resolve(dir);
  if (await exists(root)) {
    const st = await lstat(root);
    if (!st.isDirectory()) throw new RltaskError('E_WORKSPACE', `${dir} exists and is not a directory`);
    const entries = await readdir(root);
    if (entries.length > 0 && options.force !== true) {
      throw new RltaskError('E_WORKSPACE', `${dir} is not empty (${entries.length} entries); pass --force to write the task's files into it anyway`);
    }
  }
  const targets = spec.files.map((f) => {
    const target = path.resolve(root, f.path);
    if (!target.startsWith(root + path.sep)) throw new RltaskError('E_SPEC', `${spec.sourcePath}: file path ${f.path} escapes the workspace`);
    return { file: f, target };
  });
  await makeDirectory(root, dir);
  const realRoot = await realpath(root);
  const written: string[] = [];
  for (const { file, target } of targets) {
    await makeDirectory(path.dirname(target), dir);
    const parent = await realpath(path.dirname(target));
    if (parent !== realRoot && !parent.startsWith(realRoot + path.sep)) {
      throw new RltaskError('E_WORKSPACE', `${dir}: the directory for ${file.path} leads outside the workspace (a symlink?)`);
    }
    if (await exists(target)) {
      const st = await lstat(target);
      if (st.isDirectory()) throw new RltaskError('E_WORKSPACE', `${dir}: ${file.path} is a directory`);
      await unlink(target);
    }
    await writeFile(target, options.contents?.get(file.path) ?? file.content, { flag: 'wx', mode: 0o644 });
    written.push(file.path);
  }
  return written;
}
