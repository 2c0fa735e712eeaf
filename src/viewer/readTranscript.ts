import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type TranscriptEvent, transcriptEventSchema } from './transcriptEventSchema.ts';

/** A transcript's events, and what could not be read of it. */
export interface Transcript {
  readonly events: readonly TranscriptEvent[];
  /** Null when every line was read. */
  readonly problem: string | null;
}

/**
 * Read an attempt's transcript (`relative` to the run's directory, as its record says). A transcript is evidence,
 * not input that can be refused: a line of an unknown shape is kept as `other`, a line that is not JSON (a run
 * killed mid-write) is counted in `problem`, and a transcript outside the run's directory is not read at all.
 */
export async function readTranscript(runDir: string, relative: string): Promise<Transcript> {
  const file = path.resolve(runDir, relative);
  if (path.relative(runDir, file).startsWith('..') || path.isAbsolute(path.relative(runDir, file))) {
    return { events: [], problem: `${relative}: outside the run's directory, not read` };
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return { events: [], problem: `${relative}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}` };
  }
  const events: TranscriptEvent[] = [];
  let broken = 0;
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      broken++;
      continue;
    }
    const parsed = transcriptEventSchema.safeParse(json);
    events.push(parsed.success ? parsed.data : { type: 'other', line: i + 1, raw: json });
  }
  return { events, problem: broken === 0 ? null : `${relative}: ${broken} line${broken === 1 ? '' : 's'} not JSON, left out` };
}
