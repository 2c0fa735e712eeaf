import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { SpecProblem } from '../errors.ts';
import { Sandbox } from '../sandbox/Sandbox.ts';
import { SubmissionFault } from '../sandbox/SubmissionFault.ts';
import { transpile } from '../runtime/typescript/transpile.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { deriveSeed } from './_seed.ts';
import { classMemberNames } from '../runtime/typescript/staticChecks.ts';
import { caseContents, taskCases } from './gradeCases.ts';
import { sandboxOptions } from './gradeWorkspace.ts';

type Path = readonly (string | number)[];

/** `file:line:column` of a key path in the task's YAML (line 1 when the file cannot be read again). */
async function locator(spec: TaskSpec): Promise<(path: Path, message: string) => SpecProblem> {
  const text = await readFile(spec.sourcePath, 'utf8').catch(() => '');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  return (path, message) => {
    const shown = path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
    for (let depth = path.length; depth > 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true);
      if (node !== null && typeof node === 'object' && 'range' in node && Array.isArray(node.range)) {
        const { line, col } = lines.linePos(Number(node.range[0]));
        return { file: spec.sourcePath, line, column: col, path: shown, message };
      }
    }
    return { file: spec.sourcePath, line: 1, column: 1, path: shown, message };
  };
}

/** The `call` entries of the task's properties as written (`export`, `before`, `method`), with their key paths. */
async function propertyCalls(spec: TaskSpec): Promise<{ path: Path; export?: string; construct: boolean; before: string[]; method?: string }[]> {
  const text = await readFile(spec.sourcePath, 'utf8').catch(() => '');
  const doc: unknown = parseDocument(text).toJS({ maxAliasCount: 100 });
  const grader: unknown = typeof doc === 'object' && doc !== null && 'grader' in doc ? doc.grader : undefined;
  const props: unknown = typeof grader === 'object' && grader !== null && 'properties' in grader ? grader.properties : undefined;
  if (!Array.isArray(props)) return [];
  const calls: { path: Path; export?: string; construct: boolean; before: string[]; method?: string }[] = [];
  props.forEach((p: unknown, i) => {
    if (typeof p !== 'object' || p === null || !('call' in p)) return;
    const call: unknown = p.call;
    if (typeof call !== 'object' || call === null) return;
    const str = (k: string): string | undefined => {
      const v: unknown = Reflect.get(call, k);
      return typeof v === 'string' ? v : undefined;
    };
    const before = 'before' in call && Array.isArray(call.before) ? call.before.filter((b: unknown): b is string => typeof b === 'string') : [];
    const exp = str('export');
    const method = str('method');
    calls.push({ path: ['grader', 'properties', i, 'call'], ...(exp === undefined ? {} : { export: exp }), construct: 'construct' in call, before, ...(method === undefined ? {} : { method }) });
  });
  return calls;
}

/**
 * Task-author errors that only running the reference solution shows: the subject file as the solution leaves it
 * must compile, load in the sandbox and export `grader.subject.export` (and every `call.export` of a property),
 * and every method a property's `call` names must exist on the class (when the class's members are knowable from
 * its file). Otherwise every submission would fail as if it were at fault. Returns the problems, located in the
 * task file; empty when the subject is sound.
 */
export async function checkSubject(spec: TaskSpec): Promise<SpecProblem[]> {
  const at = await locator(spec);
  const reference = taskCases(spec).find((c) => c.kind === 'reference')!;
  const { file, export: subject } = spec.grader.subject;
  const source = caseContents(spec, reference).get(file);
  if (source === undefined) return [at(['grader', 'subject', 'file'], `"${file}" is not one of the task's files`)];
  const compiled = await transpile(source, file);
  if (!compiled.ok) return [at(['solution'], `${file} as the reference solution leaves it does not compile: ${compiled.message}`)];
  const sandbox = await Sandbox.start(sandboxOptions(spec));
  let exports: readonly string[];
  try {
    const loaded = await sandbox.load(compiled.code, file, deriveSeed(spec.grader.seed, 'Math.random'), spec.limits.timeMs).catch((e: unknown) => {
      if (e instanceof SubmissionFault) return { ok: false as const, thrown: { name: 'fault', message: e.message } };
      throw e;
    });
    if (!loaded.ok) return [at(['solution'], `${file} as the reference solution leaves it does not load in the sandbox: ${loaded.thrown.name}: ${loaded.thrown.message}`)];
    exports = loaded.exports;
  } finally {
    await sandbox.dispose();
  }
  const problems: SpecProblem[] = [];
  const exported = (name: string, path: Path): boolean => {
    if (exports.includes(name)) return true;
    problems.push(at(path, `"${name}" is not exported by ${file} as the reference solution leaves it (it exports ${exports.length === 0 ? 'nothing' : exports.map((e) => `"${e}"`).join(', ')})`));
    return false;
  };
  exported(subject, ['grader', 'subject', 'export']);
  for (const call of await propertyCalls(spec)) {
    const target = call.export ?? subject;
    if (call.export !== undefined && !exported(call.export, [...call.path, 'export'])) continue;
    if (!call.construct) continue;
    const members = await classMemberNames(source, file, target);
    if (members === undefined) continue;
    const methods: [string, Path][] = call.before.map((m, j): [string, Path] => [m, [...call.path, 'before', j]]);
    if (call.method !== undefined) methods.push([call.method, [...call.path, 'method']]);
    for (const [m, path] of methods) {
      if (!members.has(m)) problems.push(at(path, `${target} has no member "${m}" in ${file} as the reference solution leaves it (it has ${[...members].map((n) => `"${n}"`).join(', ')})`));
    }
  }
  return problems;
}
