import { readFile } from 'node:fs/promises';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { RltaskError, SpecError, type SpecProblem } from '../errors.ts';
import { applyEdit } from './applyEdits.ts';
import { type Edit, type TaskSpecData, taskSchema } from './taskSchema.ts';

export { applyEdits } from './applyEdits.ts';

/** A validated task, with the file it came from. */
export type TaskSpec = TaskSpecData & {
  readonly sourcePath: string;
  /**
   * Set on the spec `impossibleTwin` returns. Its visible tests contradict the prompt on purpose, so a grade leaves
   * them out and holds the submission to the prompt alone; an agent still runs them (`runVisibleTests`).
   */
  readonly twin?: 'impossible';
};

type Path = readonly (string | number)[];

/** Render a key path the way people write it: `files[2].path`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out === '' ? k : `.${k}`;
  return out;
}

class Locator {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    private readonly file: string,
  ) {}

  #pos(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /** The node at `path`, or the nearest ancestor that exists (for missing keys). */
  at(path: Path, message: string, key?: string): SpecProblem {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, depth), true);
      if (node === undefined || node === null || typeof node !== 'object' || !('range' in node)) continue;
      let offset = (node.range as [number, number, number])[0];
      if (key !== undefined && depth === path.length && isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
        if (pair !== undefined && isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      }
      const shown = key === undefined ? path : [...path, key];
      return { file: this.file, ...this.#pos(offset), path: formatPath(shown), message };
    }
    return { file: this.file, line: 1, column: 1, path: formatPath(path), message };
  }
}

/** The value at `path` in the parsed YAML, or undefined where the path leads nowhere. */
function valueAt(data: unknown, path: Path): unknown {
  let v = data;
  for (const k of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, k)) return undefined;
    v = Reflect.get(v, k);
  }
  return v;
}

function isMapping(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How a YAML value reads to whoever wrote it. */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (isMapping(v)) return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** One zod issue as problems located in the file, worded for the person editing the YAML. */
function issueProblems(issue: z.core.$ZodIssue, loc: Locator, data: unknown, base: Path = []): SpecProblem[] {
  const path = [...base, ...issue.path.filter((k): k is string | number => typeof k !== 'symbol')];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => loc.at(path, `unknown key "${k}"`, k));
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the branch that got furthest (the most specific problems), not "invalid input".
    const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
    return best.flatMap((i) => issueProblems(i, loc, data, path));
  }
  const key = path.at(-1);
  const parent = path.slice(0, -1);
  if (issue.code === 'invalid_type' && typeof key === 'string' && isMapping(valueAt(data, parent)) && !Object.hasOwn(valueAt(data, parent) ?? {}, key)) {
    // At the mapping the key belongs in: a key that is not there has no line of its own.
    return [loc.at(parent, `missing required key \`${key}\``)];
  }
  if (issue.code === 'invalid_type' && path.length === 0) {
    return [loc.at(path, `a task file is a YAML mapping of keys (id, title, prompt, files, …); this one is ${data === null ? 'empty' : describeValue(data)}`)];
  }
  if (issue.code === 'invalid_type') return [loc.at(path, `expected ${issue.expected}, got ${describeValue(valueAt(data, path))}`)];
  return [loc.at(path, issue.message)];
}

/**
 * The impossible twin's edits, unlike the solution's, may change any of the task's files: contradicting the
 * prompt in the visible tests is their point. Its grade uses the same reference, so the solution's edits must
 * still apply to the twin's files.
 */
function twinProblems(spec: TaskSpecData, edits: readonly Edit[], contents: ReadonlyMap<string, string>, loc: Locator): SpecProblem[] {
  const problems: SpecProblem[] = [];
  if (spec.tests === undefined) problems.push(loc.at(['impossible'], 'an impossible twin contradicts the prompt in the visible tests; declare them with `tests: { file }`'));
  let twin = new Map(contents);
  let applied = true;
  edits.forEach((e, j) => {
    const content = twin.get(e.file);
    const r = content === undefined ? { ok: false as const, why: `"${e.file}" is not one of the task's files` } : applyEdit(content, e);
    if (r.ok) twin = new Map(twin).set(e.file, r.content);
    else {
      problems.push(loc.at(['impossible', 'edits', j, content === undefined ? 'file' : 'find'], r.why));
      applied = false;
    }
  });
  if (!applied) return problems;
  let task = new Map(contents);
  for (const [j, e] of spec.solution.edits.entries()) {
    const own = applyEdit(task.get(e.file) ?? '', e);
    // An edit that does not apply to the task's own files is the solution's problem, reported once, by its check.
    if (!own.ok) break;
    task = new Map(task).set(e.file, own.content);
    const r = applyEdit(twin.get(e.file) ?? '', e);
    if (!r.ok) {
      problems.push(loc.at(['solution', 'edits', j, 'find'], `in the impossible twin's files: ${r.why}`));
      break;
    }
    twin = new Map(twin).set(e.file, r.content);
  }
  return problems;
}

function semanticProblems(spec: TaskSpecData, loc: Locator): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const roles = new Map<string, string>();
  spec.files.forEach((f, i) => {
    if (roles.has(f.path)) problems.push(loc.at(['files', i, 'path'], `duplicate path "${f.path}"`));
    for (const other of roles.keys()) {
      if (other.startsWith(`${f.path}/`) || f.path.startsWith(`${other}/`)) problems.push(loc.at(['files', i, 'path'], `"${f.path}" and "${other}" cannot both be files`));
    }
    roles.set(f.path, f.role);
  });
  const contents = new Map(spec.files.map((f) => [f.path, f.content]));
  const editable = (file: string, where: Path): boolean => {
    const role = roles.get(file);
    if (role === undefined) problems.push(loc.at(where, `"${file}" is not one of the task's files`));
    else if (role !== 'editable') problems.push(loc.at(where, `"${file}" is ${role}; only editable files can be edited`));
    return role === 'editable';
  };
  if (editable(spec.bug.file, ['bug', 'file'])) {
    const content = contents.get(spec.bug.file) ?? '';
    if (!content.split('\n').some((l) => l.trim() === spec.bug.line.trim())) problems.push(loc.at(['bug', 'line'], `this line does not occur in ${spec.bug.file}`));
  }
  const checkEdits = (edits: readonly Edit[], where: Path): void => {
    let current = new Map(contents);
    edits.forEach((e, j) => {
      if (!editable(e.file, [...where, j, 'file'])) return;
      const r = applyEdit(current.get(e.file) ?? '', e);
      if (!r.ok) problems.push(loc.at([...where, j, 'find'], r.why));
      else current = new Map(current).set(e.file, r.content);
    });
  };
  checkEdits(spec.solution.edits, ['solution', 'edits']);
  const names = new Set<string>();
  spec.decoys.forEach((d, i) => {
    if (names.has(d.name)) problems.push(loc.at(['decoys', i, 'name'], `duplicate decoy name "${d.name}"`));
    names.add(d.name);
    checkEdits(d.edits, ['decoys', i, 'edits']);
  });
  if (spec.impossible !== undefined) problems.push(...twinProblems(spec, spec.impossible.edits, contents, loc));
  editable(spec.grader.subject.file, ['grader', 'subject', 'file']);
  if (spec.tests !== undefined && !roles.has(spec.tests.file)) problems.push(loc.at(['tests', 'file'], `"${spec.tests.file}" is not one of the task's files`));
  spec.grader.ast.forEach((a, i) => {
    if (a.file !== undefined && !roles.has(a.file)) problems.push(loc.at(['grader', 'ast', i, 'file'], `"${a.file}" is not one of the task's files`));
  });
  const ids = new Set<string>();
  spec.grader.properties.forEach((p, i) => {
    if (ids.has(p.id)) problems.push(loc.at(['grader', 'properties', i], `two properties share the id "${p.id}"; give one an explicit id`));
    ids.add(p.id);
  });
  return problems;
}

/**
 * Parse and validate a task from YAML text. Every problem is reported at once, each with `file:line:column`,
 * the key path and what was expected.
 *
 * @example
 * const spec = parseTask(await readFile('tasks/variance-dropout.yaml', 'utf8'), 'tasks/variance-dropout.yaml');
 */
export function parseTask(text: string, file: string): TaskSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  if (doc.errors.length > 0) {
    throw new SpecError(
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { file, line, column: col, path: '', message: `YAML syntax error: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  const loc = new Locator(doc, lines, file);
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  const parsed = taskSchema.safeParse(data);
  if (!parsed.success) throw new SpecError(parsed.error.issues.flatMap((i) => issueProblems(i, loc, data)));
  const problems = semanticProblems(parsed.data, loc);
  if (problems.length > 0) throw new SpecError(problems);
  return { ...parsed.data, sourcePath: file };
}

/** Read and validate a task file. Unreadable files are E_SPEC errors naming the file. */
export async function loadTask(file: string): Promise<TaskSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new RltaskError('E_SPEC', `${file}: cannot read the task file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseTask(text, file);
}
