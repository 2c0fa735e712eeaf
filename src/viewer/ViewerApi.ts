/**
 * What the viewer's JSON API answers, shared by the server (src/viewer/startViewer.ts) and the browser app
 * (src/viewer/ui/), which imports these types only.
 */
import type { AttemptRecord, CalibrationSummary } from '../calibration/CalibrationResults.ts';
import type { GradeLine } from './gradeLineSchema.ts';
import type { TranscriptEvent } from './transcriptEventSchema.ts';

/** A calibration run as listed: `GET /api/sources`. */
export interface RunItem {
  /** Stable for one `rltask view` invocation: `run-<k>`, k the run's position among the paths given. */
  readonly id: string;
  /** The directory as given on the command line. */
  readonly path: string;
  readonly summary: CalibrationSummary;
}

/** A `grade --json` file as listed. */
export interface BatchItem {
  readonly id: string;
  readonly path: string;
  readonly grades: number;
  readonly passed: number;
  readonly failed: number;
  readonly errors: number;
}

export interface SourcesResponse {
  readonly runs: readonly RunItem[];
  readonly batches: readonly BatchItem[];
}

/** An attempt in the run's table: the record without its diff (sent with the attempt). */
export type AttemptRow = Omit<AttemptRecord, 'diff'>;

/** Failed attempts grouped by their first failing check, largest group first (as VALIDATION_RESULTS.md does). */
export interface FailureMode {
  /** The first failing check's id, or `(no failing check reported)`. */
  readonly check: string;
  readonly attempts: readonly number[];
  /** How many of them behave like each known wrong submission (`no known decoy` for the rest). */
  readonly behavesLike: readonly { readonly name: string; readonly count: number }[];
  /** The first attempt's failing message. */
  readonly message: string;
}

/** `GET /api/runs/:id`. */
export interface RunResponse extends RunItem {
  readonly attempts: readonly AttemptRow[];
  readonly failureModes: readonly FailureMode[];
}

/** `GET /api/runs/:id/attempts/:n`. */
export interface AttemptResponse {
  readonly run: RunItem;
  readonly record: AttemptRecord;
  readonly events: readonly TranscriptEvent[];
  /** Why the transcript could not be read in full (missing file, lines that are not JSON), else null. */
  readonly transcriptProblem: string | null;
}

/** `GET /api/batches/:id`. */
export interface BatchResponse extends BatchItem {
  readonly results: readonly GradeLine[];
}
