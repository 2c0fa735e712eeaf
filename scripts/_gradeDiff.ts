/**
 * How two `grade --json` outputs are compared by scripts/compareGrades.ts: the JSON Lines parsed into results
 * by workspace, the fields that are only timing removed, and the first JSON path at which two results differ.
 */
import { z } from 'zod';

/**
 * Top-level fields of a grade result removed before comparing: `durationMs` is wall-clock time, the only field
 * the grader does not derive from the task, the workspace and the seed. Nothing else is ignored, so that any
 * other run-to-run variation shows up as a difference.
 */
export const IGNORED_FIELDS: readonly string[] = ['durationMs'];

// Only what matching by workspace needs is checked here; everything else is compared as plain JSON.
const gradeLine = z.looseObject({ workspace: z.string(), durationMs: z.number() });

/** One line of `grade --json`: a grade result, with at least its workspace and its duration. */
export type GradeLine = z.infer<typeof gradeLine>;

/**
 * `grade --json` output by workspace. With several workspaces the lines come in completion order, so they are
 * matched by their `workspace` field, never by position. Throws on a line that is not a grade result and on two
 * results for one workspace.
 */
export function parseGradeLines(stdout: string): Map<string, GradeLine> {
  const results = new Map<string, GradeLine>();
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new Error(`not JSON: ${shorten(line, 200)}`);
    }
    const parsed = gradeLine.safeParse(json);
    if (!parsed.success) throw new Error(`not a grade result (${parsed.error.issues[0]?.message ?? 'invalid'}): ${shorten(line, 200)}`);
    if (results.has(parsed.data.workspace)) throw new Error(`two results for ${parsed.data.workspace}`);
    results.set(parsed.data.workspace, parsed.data);
  }
  return results;
}

/** Marks the side of a difference where the key or array element does not exist. */
export const ABSENT: unique symbol = Symbol('absent');

/** Where two JSON values first differ, and what each side holds there. */
export interface Difference {
  /** A JSONPath-like address from the root, `$`: `$.checks[3].message`. */
  readonly path: string;
  readonly left: unknown;
  readonly right: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyPath(at: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`;
}

/**
 * Every place, depth first, where two parsed JSON values differ: the leaves that differ, not their ancestors.
 * Object keys are compared as sets (the order in which the grader writes them is not behaviour); keys are
 * visited in the left side's order, then those only the right side has. Numbers compare with Object.is, so
 * -0 ≠ 0.
 */
export function* differences(left: unknown, right: unknown, at = '$'): Generator<Difference> {
  if (Array.isArray(left) && Array.isArray(right)) {
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      yield* differences(i < left.length ? left[i] : ABSENT, i < right.length ? right[i] : ABSENT, `${at}[${i}]`);
    }
  } else if (isRecord(left) && isRecord(right)) {
    const keys = [...Object.keys(left), ...Object.keys(right).filter((k) => !Object.hasOwn(left, k))];
    for (const k of keys) yield* differences(Object.hasOwn(left, k) ? left[k] : ABSENT, Object.hasOwn(right, k) ? right[k] : ABSENT, keyPath(at, k));
  } else if (!Object.is(left, right)) yield { path: at, left, right };
}

/** The first of `differences`, or undefined when the two values are equal. */
export function firstDifference(left: unknown, right: unknown): Difference | undefined {
  for (const d of differences(left, right)) return d;
  return undefined;
}

/** Every difference between two grade results, their IGNORED_FIELDS left out; empty when they are the same. */
export function gradeDifferences(left: GradeLine, right: GradeLine): Difference[] {
  const strip = (r: GradeLine): Record<string, unknown> => Object.fromEntries(Object.entries(r).filter(([k]) => !IGNORED_FIELDS.includes(k)));
  return [...differences(strip(left), strip(right))];
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function show(v: unknown, max: number): string {
  if (v === ABSENT) return '(absent)';
  return shorten(JSON.stringify(v) ?? String(v), max);
}

/**
 * Both sides of a difference on one line, each at most about `max` characters. Two long strings are shown
 * around their first differing character, since feedback messages often share a long prefix.
 */
export function describeDifference(d: Difference, names: { left: string; right: string }, max = 80): string {
  let left = show(d.left, max);
  let right = show(d.right, max);
  if (typeof d.left === 'string' && typeof d.right === 'string' && (d.left.length > max || d.right.length > max)) {
    let p = 0;
    while (p < d.left.length && p < d.right.length && d.left[p] === d.right[p]) p++;
    const from = Math.max(0, p - 20);
    const around = (s: string): string => `${from > 0 ? '…' : ''}${show(s.slice(from, from + max), max)}${from + max < s.length ? '…' : ''}`;
    left = around(d.left);
    right = around(d.right);
  }
  return `${d.path}: ${names.left} ${left} ≠ ${names.right} ${right}`;
}
