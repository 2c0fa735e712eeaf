import { createRequire } from 'node:module';
import { parse, type Ts } from '../runtime/typescript/syntax.ts';
import { transpileModule } from '../runtime/typescript/transpile.ts';
import { mutationEditsOf, type MutationEdit } from './_mutationOperators.ts';
import type { Mutant } from './AuditProgram.ts';

/**
 * The mutation operators, in the order mutants at one position are listed.
 *
 * @example
 * const counts = MUTATION_OPERATORS.map((op) => mutants.filter((m) => m.operator === op).length);
 */
export const MUTATION_OPERATORS = [
  'arithmetic',
  'comparison',
  'logical',
  'unary',
  'constant',
  'function-swap',
  'statement-removal',
  'argument-swap',
  'condition-flip',
  'loop-bound',
] as const;

/** One of {@link MUTATION_OPERATORS}. */
export type MutationOperator = (typeof MUTATION_OPERATORS)[number];

/** How much of an edited node's text a mutant's id and report show. */
const SHOWN_CHARS = 60;

const require = createRequire(import.meta.url);
let tsModule: Ts | undefined;

/**
 * ts-morph's copy of the compiler, loaded on first use and synchronously (the same module as
 * runtime/typescript/syntax.ts's `loadTypeScript`): importing 'ts-morph' at the top would cost every CLI verb a
 * second or so of start-up, audit or not.
 */
function typeScript(): Ts {
  if (tsModule === undefined) {
    const loaded: Ts = createRequire(require.resolve('ts-morph'))('@ts-morph/common/dist/typescript.js');
    tsModule = loaded;
  }
  return tsModule;
}

/**
 * Every mutant of `source` (a TypeScript module named `file`): one edit by one operator of
 * {@link MUTATION_OPERATORS}, in source order (then operator order), ids unique. A mutant whose source is the
 * original's or an earlier mutant's is left out, and so is one that does not parse or that the grading
 * transpiler rejects — a program that fails to load would count as caught without testing the grader. A source
 * that does not parse itself therefore has no mutants.
 *
 * @example
 * mutantsOf('export const half = (x: number) => x / 2;\n', 'half.ts').map((m) => m.id);
 * // ['L1:38 arithmetic: / → *', 'L1:40 constant: 2 → 3', 'L1:40 constant: 2 → 1', 'L1:40 constant: 2 → 4', 'L1:40 constant: 2 → 0']
 */
export function mutantsOf(source: string, file: string): Mutant[] {
  const ts = typeScript();
  const sf = parse(ts, source, file);
  const rank = (e: MutationEdit): number => MUTATION_OPERATORS.indexOf(e.operator);
  // Array.prototype.sort is stable: edits of one operator at one position keep the order they were made in.
  const edits = mutationEditsOf(ts, sf).sort((a, b) => a.start - b.start || rank(a) - rank(b));
  const ids = new Set<string>();
  const sources = new Set<string>([source]);
  const mutants: Mutant[] = [];
  for (const edit of edits) {
    const mutated = splice(source, edit);
    if (sources.has(mutated)) continue;
    const { line, character } = sf.getLineAndCharacterOfPosition(edit.start);
    const original = shown(source.slice(edit.start, edit.end));
    const replacement = shown(edit.replacement);
    const id = `L${line + 1}:${character + 1} ${edit.operator}: ${original} → ${replacement}`;
    if (ids.has(id) || !loads(ts, mutated, file)) continue;
    ids.add(id);
    sources.add(mutated);
    mutants.push({ id, operator: edit.operator, line: line + 1, column: character + 1, original, replacement, source: mutated });
  }
  return mutants;
}

/**
 * A deterministic sample of at most `n` of `mutants`, in their order. The operators share the sample equally
 * (an operator with fewer mutants than its share gives the rest to the others; which operators get the last
 * places is the seed's choice), and each operator's picks are spread over its mutants in order — one at random
 * from each of n equal runs — so that the sample covers the whole file, not its top. `n` at least the list's
 * length returns all of it.
 *
 * @example
 * const graded = sampleMutants(mutantsOf(reference, 'adam.ts'), 40, 1);
 */
export function sampleMutants(mutants: readonly Mutant[], n: number, seed: number): Mutant[] {
  if (n >= mutants.length) return [...mutants];
  const random = mulberry32(seed);
  const groups = new Map<string, number[]>();
  mutants.forEach((m, i) => {
    const group = groups.get(m.operator);
    if (group === undefined) groups.set(m.operator, [i]);
    else group.push(i);
  });
  const quotas = new Map<string, number>([...groups.keys()].map((op) => [op, 0]));
  for (let left = Math.max(0, Math.floor(n)); left > 0; ) {
    const open = [...groups].filter(([op, group]) => (quotas.get(op) ?? 0) < group.length).map(([op]) => op);
    const served = open.length <= left ? open : shuffled(open, random).slice(0, left);
    for (const op of served) quotas.set(op, (quotas.get(op) ?? 0) + 1);
    left -= served.length;
  }
  const picked: number[] = [];
  for (const [op, group] of groups) {
    const k = quotas.get(op) ?? 0;
    for (let j = 0; j < k; j++) {
      const lo = Math.floor((j * group.length) / k);
      const hi = Math.floor(((j + 1) * group.length) / k);
      const index = group[lo + Math.floor(random() * (hi - lo))];
      if (index !== undefined) picked.push(index);
    }
  }
  return picked.sort((a, b) => a - b).flatMap((i) => mutants[i] ?? []);
}

/**
 * `source` with the edit applied, with a space where the replacement would otherwise fuse with its neighbour
 * into another token (`a+-b` → `a--b`, `return-x` → `returnx`).
 */
function splice(source: string, edit: MutationEdit): string {
  const before = source.slice(0, edit.start);
  const after = source.slice(edit.end);
  const left = fuses(before.at(-1), edit.replacement.at(0)) ? ' ' : '';
  const right = fuses(edit.replacement.at(-1), after.at(0)) ? ' ' : '';
  return before + left + edit.replacement + right + after;
}

function fuses(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const word = /[\w$]/;
  return (word.test(a) && word.test(b)) || ['++', '--', '//', '/*', '*/'].includes(a + b);
}

/** Whether the mutant parses and transpiles as grading transpiles it (esbuild also rejects `--1`, `a || b ?? c`). */
function loads(ts: Ts, source: string, file: string): boolean {
  const sf = parse(ts, source, file);
  // parseDiagnostics is internal to the compiler's API, but set on every parsed file.
  if ((sf as unknown as { parseDiagnostics: readonly unknown[] }).parseDiagnostics.length > 0) return false;
  return transpileModule(source, file).ok;
}

/** Whitespace runs as one space, cut to SHOWN_CHARS characters with an ellipsis. */
function shown(text: string): string {
  const chars = [...text.replace(/\s+/g, ' ')];
  return chars.length <= SHOWN_CHARS ? chars.join('') : `${chars.slice(0, SHOWN_CHARS - 1).join('')}…`;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i];
    const b = out[j];
    if (a !== undefined && b !== undefined) [out[i], out[j]] = [b, a];
  }
  return out;
}
