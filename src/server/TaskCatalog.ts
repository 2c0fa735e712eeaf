import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { RltaskError } from '../errors.ts';
import { parseTask, type TaskSpec } from '../task/loadTask.ts';

/** A served task: its validated spec and the SHA-256 of its YAML (the provenance of every verdict on it). */
export interface CatalogEntry {
  readonly spec: TaskSpec;
  readonly sha256: string;
  readonly file: string;
}

/**
 * The tasks a server serves: every `*.yaml` / `*.yml` in one directory, parsed and validated once at start-up
 * (an invalid file stops the server with the loader's error, exit 2), looked up by task id.
 *
 * @example
 * const catalog = await TaskCatalog.load('tasks');
 * catalog.get('variance-dropout')?.spec.prompt;
 */
export class TaskCatalog {
  readonly #byId: ReadonlyMap<string, CatalogEntry>;

  private constructor(entries: readonly CatalogEntry[]) {
    this.#byId = new Map(entries.map((e) => [e.spec.id, e]));
  }

  static async load(dir: string): Promise<TaskCatalog> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
    } catch (e) {
      throw new RltaskError('E_USAGE', `--tasks ${dir}: cannot read the directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (names.length === 0) throw new RltaskError('E_USAGE', `--tasks ${dir}: no task files (*.yaml) in it`);
    const entries: CatalogEntry[] = [];
    const seen = new Map<string, string>();
    for (const name of names) {
      const file = path.join(dir, name);
      const text = await readFile(file, 'utf8');
      const spec = parseTask(text, file);
      const other = seen.get(spec.id);
      if (other !== undefined) throw new RltaskError('E_USAGE', `--tasks ${dir}: ${other} and ${file} both declare the task id "${spec.id}"`);
      seen.set(spec.id, file);
      entries.push({ spec, sha256: createHash('sha256').update(text).digest('hex'), file });
    }
    return new TaskCatalog(entries);
  }

  list(): CatalogEntry[] {
    return [...this.#byId.values()];
  }

  get(id: string): CatalogEntry | undefined {
    return this.#byId.get(id);
  }

  ids(): string[] {
    return [...this.#byId.keys()];
  }
}
