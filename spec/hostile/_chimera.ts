/**
 * Generic wrong fixes for the function-export tasks, one per family of the red team's report: the reference
 * solution wrapped so that it answers wrongly (or like the planted bug) only under a trigger — after many calls,
 * on inputs holding zeros, ties or subnormals, on long inputs, with an argument omitted — or breaks the calling
 * contract, loses precision, or memoises its previous answer. Built from the task's own files, with no per-task
 * code: the reference and the bug are put into namespaces, and each export is re-declared with its original
 * signature (so `same-public-api` and the policy see the task's interface) around a call into them.
 */
import { createRequire } from 'node:module';
import type { ts as TsNamespace } from 'ts-morph';
import type { TaskSpec } from '../../src/task/loadTask.ts';

const require = createRequire(import.meta.url);
const ts: typeof TsNamespace = createRequire(require.resolve('ts-morph'))('@ts-morph/common/dist/typescript.js');

export const families = ['behaviour-over-time', 'inputs', 'precision', 'self-comparison', 'contract'] as const;
export type Family = (typeof families)[number];

/** What a chimera does when its trigger fires. */
type Effect =
  /** A relative error of 1e-6 in every number it returns or writes into its first argument: plainly wrong. */
  | 'perturb'
  /** The planted bug's answer (for tasks whose result is random, where a perturbation proves nothing). */
  | 'bug';

export interface Chimera {
  readonly name: string;
  readonly family: Family;
  readonly why: string;
  readonly source: string;
}

/** The exported functions of a file with their signature text (parameters and return type, verbatim). */
function exportedFunctions(text: string): { name: string; params: string; returns: string; arity: number; optional: number }[] {
  const sf = ts.createSourceFile('subject.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: { name: string; params: string; returns: string; arity: number; optional: number }[] = [];
  for (const st of sf.statements) {
    if (!ts.isFunctionDeclaration(st) || st.name === undefined) continue;
    if (!(ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    out.push({
      name: st.name.text,
      params: st.parameters.map((p) => p.getText(sf)).join(', '),
      returns: st.type === undefined ? '' : `: ${st.type.getText(sf)}`,
      arity: st.parameters.length,
      optional: st.parameters.filter((p) => p.initializer !== undefined || p.questionToken !== undefined).length,
    });
  }
  return out;
}

/** Trigger conditions, as code over `a` (the call's arguments) and `__calls` (calls so far, this one included). */
const TRIGGERS = {
  'after-50-calls': { family: 'behaviour-over-time', code: '__calls > 50', why: 'right for the first 50 calls, then wrong' },
  'after-2000-calls': { family: 'behaviour-over-time', code: '__calls > 2000', why: 'right for the first 2,000 calls, then wrong (no property made that many)' },
  'after-5000-calls': { family: 'behaviour-over-time', code: '__calls > 5000', why: 'right for the first 5,000 calls, then wrong' },
  'exact-zero': { family: 'inputs', code: '__arrays(a).some((x) => x.some((v) => v === 0))', why: 'wrong when an input holds an exact zero' },
  'negative-zero': { family: 'inputs', code: '__arrays(a).some((x) => x.some((v) => Object.is(v, -0)))', why: 'wrong when an input holds −0' },
  'integers': { family: 'inputs', code: '__arrays(a).some((x) => x.some((v) => v !== 0 && Number.isInteger(v)))', why: 'wrong when an input holds a non-zero integer' },
  'tie-at-max': { family: 'inputs', code: '__arrays(a).some((x) => { let m = -Infinity, k = 0; for (const v of x) { if (v > m) { m = v; k = 1; } else if (v === m) k++; } return k > 1; })', why: 'wrong when the largest input value occurs twice' },
  'subnormal': { family: 'inputs', code: '__arrays(a).some((x) => x.some((v) => v !== 0 && Math.abs(v) < 2.2250738585072014e-308))', why: 'wrong when an input holds a subnormal number' },
  'huge': { family: 'inputs', code: '__arrays(a).some((x) => x.some((v) => Math.abs(v) > 1e5))', why: 'wrong when an input exceeds 1e5 in magnitude (the same as clamping inputs there)' },
  'longer-than-64': { family: 'inputs', code: '__size(a) > 64', why: 'wrong for inputs of more than 64 values' },
  'longer-than-1024': { family: 'inputs', code: '__size(a) > 1024', why: 'wrong for inputs of more than 1,024 values' },
  'single-value': { family: 'inputs', code: '__size(a) === 1', why: 'wrong for an input of one value' },
  'omitted-argument': { family: 'inputs', code: 'a.length < __arity', why: 'wrong when an optional argument is left to its default' },
} as const satisfies Record<string, { family: Family; code: string; why: string }>;

/**
 * The chimeras of a task whose subject file exports functions. `effect` says what a fired trigger does.
 * `selfComparison` adds the memo that defeats a submission-against-itself invariance check.
 */
export function chimeras(spec: TaskSpec, options: { effect: Effect; selfComparison: boolean; inPlace: boolean }): Chimera[] {
  const file = spec.grader.subject.file;
  const bug = spec.files.find((f) => f.path === file)!.content;
  let reference = bug;
  for (const e of spec.solution.edits) if (e.file === file) reference = reference.replace(e.find, e.replace);
  const fns = exportedFunctions(bug);
  // Triggers on array contents, and in-place writes, only where an export takes arrays: elsewhere they never fire
  // and the chimera is the reference itself.
  const takesArrays = fns.some((f) => f.params.includes('Float64Array'));
  const ARRAY_TRIGGERS: ReadonlySet<string> = new Set(['exact-zero', 'negative-zero', 'integers', 'tie-at-max', 'subnormal', 'huge']);
  const namespaces = `namespace __Ref {\n${reference}\n}\nnamespace __Bug {\n${bug}\n}\n`;
  const helpers = [
    'let __calls = 0;',
    'const __arrays = (a: unknown[]): Float64Array[] => a.filter((x): x is Float64Array => x instanceof Float64Array);',
    'const __size = (a: unknown[]): number => { const x = __arrays(a)[0]; if (x !== undefined) return x.length; const n = a.find((v) => typeof v === "number"); return typeof n === "number" ? n : 0; };',
    'const __off = (v: number): number => (v === 0 ? 1e-6 : v * (1 + 1e-6));',
    // A relative error of 1e-6 in the result and, for in-place updates, in the first argument.
    'function __perturb(r: unknown, a: unknown[]): unknown { const x = a[0]; if (x instanceof Float64Array && x === r) { for (let i = 0; i < x.length; i++) x[i] = __off(x[i]); return r; } if (r instanceof Float64Array) return r.map(__off); if (typeof r === "number") return __off(r); return r; }',
  ].join('\n');
  const wrap = (name: string, body: (fn: ReturnType<typeof exportedFunctions>[number]) => string, extra = ''): string =>
    `${namespaces}${helpers}\n${extra}\n${fns.map((f) => `export function ${f.name}(${f.params})${f.returns} {\n  const __arity = ${f.arity};\n  void __arity;\n  const a: any[] = [...arguments];\n  __calls++;\n${body(f)}\n}`).join('\n')}\n// chimera: ${name}\n`;

  const out: Chimera[] = [];
  for (const [name, t] of Object.entries(TRIGGERS)) {
    if (name === 'omitted-argument' && !fns.some((f) => f.optional > 0)) continue;
    if (ARRAY_TRIGGERS.has(name) && !takesArrays) continue;
    const body = (f: { name: string }): string =>
      options.effect === 'bug'
        ? `  return ((${t.code}) ? (__Bug as any).${f.name} : (__Ref as any).${f.name})(...a);`
        : `  const r = (__Ref as any).${f.name}(...a);\n  return (${t.code}) ? __perturb(r, a) as any : r;`;
    out.push({ name, family: t.family, why: t.why, source: wrap(name, body) });
  }
  if (options.effect === 'perturb') {
    out.push({
      name: '2000-ulps',
      family: 'precision',
      why: 'every result 2,000 ulps off (relative 4.4e-13): "accurate to rounding" refuses it',
      source: wrap('2000-ulps', (f) => `  const r = (__Ref as any).${f.name}(...a);\n  const k = 1 + 2000 * Number.EPSILON;\n  if (r instanceof Float64Array) { if (r === a[0]) { for (let i = 0; i < r.length; i++) r[i] *= k; return r; } return r.map((v) => v * k); }\n  return typeof r === 'number' ? r * k : r;`),
    });
  }
  out.push({
    name: 'float32-result',
    family: 'contract',
    why: 'returns a Float32Array where the contract is a Float64Array',
    source: wrap('float32-result', (f) => `  const r = (__Ref as any).${f.name}(...a);\n  return r instanceof Float64Array ? (Float32Array.from(r) as any) : r;`),
  });
  out.push({
    name: 'plain-array-result',
    family: 'contract',
    why: 'returns a plain array where the contract is a Float64Array',
    source: wrap('plain-array-result', (f) => `  const r = (__Ref as any).${f.name}(...a);\n  return r instanceof Float64Array ? (Array.from(r) as any) : r;`),
  });
  if (takesArrays) out.push(
    options.inPlace
      ? {
          name: 'copy-when-long',
          family: 'contract',
          why: 'updates copies, not the arrays passed in, for inputs of more than 64 values',
          source: wrap('copy-when-long', (f) => `  if (__size(a) > 64) { const c = a.map((v) => (v instanceof Float64Array ? v.slice() : v)); return (__Ref as any).${f.name}(...c); }\n  return (__Ref as any).${f.name}(...a);`),
        }
      : {
          name: 'in-place-when-long',
          family: 'contract',
          why: 'writes its result into its input for inputs of more than 64 values',
          source: wrap('in-place-when-long', (f) => `  const r = (__Ref as any).${f.name}(...a);\n  const x = a[0];\n  if (__size(a) > 64 && x instanceof Float64Array && r instanceof Float64Array && r.length === x.length) { x.set(r); return x as any; }\n  return r;`),
        },
  );
  if (options.selfComparison) {
    out.push({
      name: 'memo-shifted-input',
      family: 'self-comparison',
      why: 'the planted bug, but an input that is the previous one shifted by a constant gets the previous answer (shifted, for a number)',
      source: wrap(
        'memo-shifted-input',
        (f) =>
          `  const x = a[0];\n  if (x instanceof Float64Array && __prev !== undefined && __prev.fn === '${f.name}' && __prev.x.length === x.length && x.length > 1) {\n    const c = x[0] - __prev.x[0];\n    let same = true;\n    for (let i = 1; i < x.length; i++) if (Math.abs(x[i] - __prev.x[i] - c) > 1e-6 * (Math.abs(c) + 1)) same = false;\n    if (same) return (typeof __prev.y === 'number' ? __prev.y + c : __prev.y) as any;\n  }\n  const r = (__Bug as any).${f.name}(...a);\n  if (x instanceof Float64Array) __prev = { fn: '${f.name}', x: x.slice(), y: r instanceof Float64Array ? r.slice() : r };\n  return r;`,
        'let __prev: { fn: string; x: Float64Array; y: unknown } | undefined;',
      ),
    });
  }
  return out;
}
