import { transformSync } from 'esbuild';
import type { Check, GradeResult } from '../grading/GradeResult.ts';
import { caseContents, gradeCase, type TaskCase, taskCases } from '../grading/gradeCases.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import type { BehavesLike } from './CalibrationResults.ts';

/**
 * Source text with comments, whitespace and spelling-only differences removed (esbuild's syntax and
 * whitespace minification, identifiers kept): `1.0 / keepProb` and `1/keepProb` normalize alike.
 * Text that does not parse is compared with its whitespace collapsed.
 */
export function normalizeSource(text: string, file: string): string {
  if (/\.[cm]?[jt]sx?$/.test(file)) {
    try {
      return transformSync(text, { loader: file.endsWith('x') ? 'tsx' : 'ts', minifyWhitespace: true, minifySyntax: true, legalComments: 'none', logLevel: 'silent' }).code;
    } catch {
      // Fall through: compare as plain text.
    }
  }
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Names the known wrong submission (the planted bug or a decoy of the task) that a failed attempt behaves
 * like. First by source: the attempt's editable files equal the case's after `normalizeSource`. Otherwise by
 * graded behaviour: each case is graded once (lazily, with the same seed as the attempts) and a case matches
 * when every property passes or fails exactly as for the attempt and at least one failing property reports
 * the very same message (the grader is seeded, so the same behaviour gives the same counterexample); the case
 * with the most identical messages wins, ties going to the earlier case.
 */
export class DecoyMatcher {
  readonly #spec: TaskSpec;
  readonly #seed: number;
  readonly #cases: readonly TaskCase[];
  readonly #sources: ReadonlyMap<string, ReadonlyMap<string, string>>;
  #graded: Promise<ReadonlyMap<string, GradeResult>> | undefined;

  constructor(spec: TaskSpec, seed = spec.grader.seed) {
    this.#spec = spec;
    this.#seed = seed;
    this.#cases = taskCases(spec).filter((c) => c.expect === 'fail');
    const editable = spec.files.filter((f) => f.role === 'editable').map((f) => f.path);
    this.#sources = new Map(
      this.#cases.map((c) => {
        const contents = caseContents(spec, c);
        return [c.name, new Map(editable.map((p) => [p, normalizeSource(contents.get(p) ?? '', p)]))];
      }),
    );
  }

  /** The case whose editable files the attempt's equal after normalization. */
  bySource(files: ReadonlyMap<string, string>): string | undefined {
    const mine = new Map([...this.#spec.files.filter((f) => f.role === 'editable')].map((f) => [f.path, files.has(f.path) ? normalizeSource(files.get(f.path)!, f.path) : undefined]));
    for (const c of this.#cases) {
      const theirs = this.#sources.get(c.name)!;
      if ([...theirs].every(([p, text]) => mine.get(p) === text)) return c.name;
    }
    return undefined;
  }

  /** The case the graded checks of a failed attempt match, grading the cases on first use. */
  async byChecks(checks: readonly Check[]): Promise<string | undefined> {
    const ids = this.#spec.grader.properties.map((p) => p.id);
    const mine = new Map(checks.filter((c) => ids.includes(c.id)).map((c) => [c.id, c]));
    if (![...mine.values()].some((c) => !c.passed && c.skipped !== true)) return undefined;
    this.#graded ??= this.#gradeCases();
    const graded = await this.#graded;
    let best: { name: string; score: number } | undefined;
    for (const c of this.#cases) {
      const r = graded.get(c.name);
      if (r === undefined || r.status !== 'failed') continue;
      const theirs = new Map(r.checks.map((k) => [k.id, k]));
      let same = true;
      let score = 0;
      for (const id of ids) {
        const a = mine.get(id);
        const b = theirs.get(id);
        if (a === undefined || b === undefined || a.passed !== b.passed || (a.skipped === true) !== (b.skipped === true)) {
          same = false;
          break;
        }
        if (!a.passed && a.skipped !== true && a.message === b.message) score++;
      }
      if (same && score > 0 && (best === undefined || score > best.score)) best = { name: c.name, score };
    }
    return best?.name;
  }

  /** Source first, then behaviour. */
  async match(files: ReadonlyMap<string, string>, checks: readonly Check[]): Promise<BehavesLike | null> {
    const source = this.bySource(files);
    if (source !== undefined) return { name: source, basis: 'same-source' };
    const behaviour = await this.byChecks(checks);
    return behaviour === undefined ? null : { name: behaviour, basis: 'same-checks' };
  }

  async #gradeCases(): Promise<ReadonlyMap<string, GradeResult>> {
    const out = new Map<string, GradeResult>();
    // Two at a time: this runs beside the attempts, and only once per calibration.
    const queue = [...this.#cases];
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) out.set(c.name, await gradeCase(this.#spec, c, { seed: this.#seed }));
    };
    await Promise.all([worker(), worker()]);
    return out;
  }
}
