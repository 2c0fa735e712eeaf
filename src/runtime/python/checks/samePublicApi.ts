import type { StaticCheckOutcome } from '../../staticCheck.ts';
import type { StaticCheckSpec } from '../../staticCheckRegistry.ts';
import type { PythonApi, PythonFunction } from '../analyzePython.ts';

/** Public means not `_private`; dunders (`__init__`, `__call__`) are the class's interface too. */
const isPublic = (name: string): boolean => !name.startsWith('_') || (name.startsWith('__') && name.endsWith('__'));

const MAX_PROBLEMS = 20;

function signature(f: PythonFunction): string {
  return `(${f.params.map((p) => `${p.kind === 'varargs' ? '*' : p.kind === 'varkw' ? '**' : ''}${p.name}${p.default === null ? '' : `=${p.default}`}`).join(', ')})`;
}

/** How the parameters of `where` changed, in words: renamed, default changed, added or removed. */
function paramProblems(where: string, before: PythonFunction, after: PythonFunction): string[] {
  const problems: string[] = [];
  const n = Math.max(before.params.length, after.params.length);
  for (let i = 0; i < n; i++) {
    const a = before.params[i];
    const b = after.params[i];
    if (a === undefined && b !== undefined) problems.push(`${where}: parameter ${b.name} was added`);
    else if (a !== undefined && b === undefined) problems.push(`${where}: parameter ${a.name} was removed`);
    else if (a !== undefined && b !== undefined) {
      if (a.name !== b.name) problems.push(`${where}: parameter ${a.name} renamed to ${b.name}`);
      else if (a.kind !== b.kind) problems.push(`${where}: parameter ${a.name} changed kind (${a.kind} → ${b.kind})`);
      if (a.default !== b.default) {
        problems.push(a.default === null ? `${where}: parameter ${b.name} got a default (${b.default})` : b.default === null ? `${where}: parameter ${a.name} lost its default ${a.default}` : `${where}: the default of ${b.name} changed from ${a.default} to ${b.default}`);
      }
    }
  }
  return problems.length > 0 && problems.every((p) => p.endsWith('was added') || p.endsWith('was removed')) ? [`${where}: parameters ${signature(before)} changed to ${signature(after)}`] : problems;
}

/** Names only in `before` and only in `after`: one of each is a rename, the rest removals and additions. */
function nameProblems(kind: string, before: readonly string[], after: readonly string[]): string[] {
  const gone = before.filter((n) => !after.includes(n));
  const added = after.filter((n) => !before.includes(n));
  if (gone.length === 1 && added.length === 1) return [`${kind} ${gone[0]} was renamed to ${added[0]}`];
  return [...gone.map((n) => `${kind} ${n} was removed or renamed`), ...added.map((n) => `${kind} ${n} is new public API; keep the interface identical (prefix helpers with _)`)];
}

/** The differences between two files' public APIs, in words. */
export function apiProblems(before: PythonApi, after: PythonApi): string[] {
  const problems: string[] = [];
  const pub = <T extends { name: string }>(xs: readonly T[]): T[] => xs.filter((x) => isPublic(x.name));
  const [c0, c1] = [pub(before.classes), pub(after.classes)];
  problems.push(...nameProblems('class', c0.map((c) => c.name), c1.map((c) => c.name)));
  for (const c of c0) {
    const d = c1.find((x) => x.name === c.name);
    if (d === undefined) continue;
    if (c.bases.join(',') !== d.bases.join(',')) problems.push(`class ${c.name}: its bases changed from (${c.bases.join(', ')}) to (${d.bases.join(', ')})`);
    const [m0, m1] = [pub(c.methods), pub(d.methods)];
    problems.push(...nameProblems(`${c.name}.`, m0.map((m) => m.name), m1.map((m) => m.name)).map((p) => p.replace(`${c.name}. `, `${c.name}.`)));
    for (const m of m0) {
      const n = m1.find((x) => x.name === m.name);
      if (n !== undefined) problems.push(...paramProblems(`${c.name}.${m.name}`, m, n));
    }
  }
  const [f0, f1] = [pub(before.functions), pub(after.functions)];
  problems.push(...nameProblems('function', f0.map((f) => f.name), f1.map((f) => f.name)));
  for (const f of f0) {
    const g = f1.find((x) => x.name === f.name);
    if (g !== undefined) problems.push(...paramProblems(f.name, f, g));
  }
  const [v0, v1] = [before.variables.filter(isPublic), after.variables.filter(isPublic)];
  problems.push(...v0.filter((v) => !v1.includes(v)).map((v) => `module variable ${v} was removed or renamed`));
  return problems.length > MAX_PROBLEMS ? [...problems.slice(0, MAX_PROBLEMS), `and ${problems.length - MAX_PROBLEMS} more`] : problems;
}

/** same-public-api (src/runtime/checks/samePublicApi.ts) for Python: classes, methods, parameters and defaults. */
export function samePublicApi(file: string, original: PythonApi, submitted: PythonApi, _check: Extract<StaticCheckSpec, { check: 'same-public-api' }>): StaticCheckOutcome {
  const problems = apiProblems(original, submitted);
  return problems.length === 0 ? { passed: true, message: `${file}: public API unchanged` } : { passed: false, message: `${file}: ${problems.join('; ')}` };
}
