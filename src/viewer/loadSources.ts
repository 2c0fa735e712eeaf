import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type CalibrationResults, calibrationResultsSchema, RESULTS_FILE } from '../calibration/CalibrationResults.ts';
import { RltaskError } from '../errors.ts';
import { type GradeLine, gradeLineSchema } from './gradeLineSchema.ts';

/** A calibration output directory, its results validated. */
export interface LoadedRun {
  readonly kind: 'run';
  readonly id: string;
  /** As given. */
  readonly path: string;
  /** Absolute: transcripts are read relative to it. */
  readonly dir: string;
  readonly results: CalibrationResults;
}

/** A JSONL file of `rltask grade --json` results, every line validated. */
export interface LoadedBatch {
  readonly kind: 'batch';
  readonly id: string;
  readonly path: string;
  readonly results: readonly GradeLine[];
}

export interface ViewerSources {
  readonly runs: readonly LoadedRun[];
  readonly batches: readonly LoadedBatch[];
}

const NEITHER = `is neither a calibration output directory (with ${RESULTS_FILE}) nor a JSONL file of \`rltask grade --json\` results`;

function firstIssue(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  return `${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`;
}

async function loadRun(given: string, dir: string, id: string): Promise<LoadedRun> {
  const file = path.join(dir, RESULTS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new RltaskError('E_USAGE', `${given} ${NEITHER}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RltaskError('E_USAGE', `${path.join(given, RESULTS_FILE)}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = calibrationResultsSchema.safeParse(json);
  if (!parsed.success) throw new RltaskError('E_USAGE', `${path.join(given, RESULTS_FILE)}: not calibration results: ${firstIssue(parsed.error)}`);
  return { kind: 'run', id, path: given, dir, results: parsed.data };
}

async function loadBatch(given: string, file: string, id: string): Promise<LoadedBatch> {
  const text = await readFile(file, 'utf8');
  const results: GradeLine[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new RltaskError('E_USAGE', `${given}:${i + 1}: not JSON: ${given} ${NEITHER}`);
    }
    const parsed = gradeLineSchema.safeParse(json);
    if (!parsed.success) throw new RltaskError('E_USAGE', `${given}:${i + 1}: not a grade result (${firstIssue(parsed.error)}): ${given} ${NEITHER}`);
    results.push(parsed.data);
  }
  if (results.length === 0) throw new RltaskError('E_USAGE', `${given}: no grade result in it: ${given} ${NEITHER}`);
  return { kind: 'batch', id, path: given, results };
}

/**
 * Load every path the viewer is given: a directory must hold a calibration run's results (validated with their
 * zod schema), a file must be JSON Lines of grade results. Anything else is bad input (E_USAGE) naming the path.
 */
export async function loadSources(paths: readonly string[]): Promise<ViewerSources> {
  const runs: LoadedRun[] = [];
  const batches: LoadedBatch[] = [];
  for (const given of paths) {
    const full = path.resolve(given);
    const info = await stat(full).catch(() => undefined);
    if (info === undefined) throw new RltaskError('E_USAGE', `${given}: no such file or directory`);
    if (info.isDirectory()) runs.push(await loadRun(given, full, `run-${runs.length + 1}`));
    else if (info.isFile()) batches.push(await loadBatch(given, full, `batch-${batches.length + 1}`));
    else throw new RltaskError('E_USAGE', `${given} ${NEITHER}`);
  }
  return { runs, batches };
}
