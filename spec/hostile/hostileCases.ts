import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const statuses = ['passed', 'failed'] as const;
export type Verdict = (typeof statuses)[number];

/**
 * Marker a case prints from code deferred past a reply (a promise job). `expect: deferred` means: failed if the
 * marker is in the output (the deferred code ran and its effect must be caught), passed if not (it never ran,
 * and what ran is a correct fix).
 */
export const DEFERRED_MARKER = 'DEFERRED-JOB-RAN';

/** One hostile dropout.ts from spec/hostile/cases/, with the metadata of its header comment. */
export interface HostileCase {
  readonly name: string;
  readonly category: string;
  /** Verdict of a full grade (static checks + sandbox); `deferred`: see DEFERRED_MARKER. */
  readonly expect: Verdict | 'deferred';
  /**
   * Verdict of the sandbox alone (the AST policy bypassed), declared exactly for the cases the policy refuses,
   * so that the runtime layer is shown to hold on its own too.
   */
  readonly runtime: Verdict | undefined;
  readonly reason: string;
  /** The file's text, placeholders not yet filled in. */
  readonly source: string;
}

const DIR = fileURLToPath(new URL('./cases/', import.meta.url));

function verdict(file: string, key: string, v: string | undefined): Verdict | undefined {
  if (v === undefined) return undefined;
  const found = statuses.find((s) => s === v);
  if (found === undefined) throw new Error(`${file}: "${key}: ${v}" must be one of ${statuses.join(', ')}`);
  return found;
}

/** Parse a case file's header: `// key: value` lines, `//   …` continuing the previous value. */
export function parseCase(file: string, text: string): HostileCase {
  const meta = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('//')) break;
    const cont = /^\/\/ {3}(.*)$/.exec(line);
    if (cont !== null && last !== undefined) {
      meta.set(last, `${meta.get(last)} ${cont[1]!.trim()}`);
      continue;
    }
    const kv = /^\/\/ ([a-z-]+): (.*)$/.exec(line);
    if (kv !== null) {
      last = kv[1]!;
      meta.set(last, kv[2]!.trim());
    }
  }
  const expect = meta.get('expect') === 'deferred' ? 'deferred' : verdict(file, 'expect', meta.get('expect'));
  const category = meta.get('category');
  const reason = meta.get('reason');
  if (expect === undefined || category === undefined || reason === undefined) throw new Error(`${file}: the header needs category, expect and reason`);
  return { name: path.basename(file).replace(/\.ts(\.txt)?$/, ''), category, expect, runtime: verdict(file, 'runtime', meta.get('runtime')), reason, source: text };
}

/** Every case in spec/hostile/cases/, sorted by name. */
export async function hostileCases(): Promise<HostileCase[]> {
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.ts') || f.endsWith('.ts.txt')).sort();
  return Promise.all(files.map(async (f) => parseCase(f, await readFile(path.join(DIR, f), 'utf8'))));
}
