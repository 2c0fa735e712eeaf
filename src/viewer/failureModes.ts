import type { AttemptRecord } from '../calibration/CalibrationResults.ts';
import type { FailureMode } from './ViewerApi.ts';

const NO_CHECK = '(no failing check reported)';
const NO_DECOY = 'no known decoy';

/**
 * The failed attempts of a run grouped by their first failing check, largest group first, each with the known
 * wrong submissions its attempts behave like: the grouping of the markdown report's "Failure modes".
 */
export function failureModes(attempts: readonly Pick<AttemptRecord, 'attempt' | 'status' | 'firstFailingCheck' | 'behavesLike' | 'feedback'>[]): FailureMode[] {
  const groups = new Map<string, (typeof attempts)[number][]>();
  for (const a of attempts) {
    if (a.status !== 'failed') continue;
    const key = a.firstFailingCheck?.id ?? NO_CHECK;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  return [...groups]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([check, group]) => {
      const like = new Map<string, number>();
      for (const a of group) {
        const name = a.behavesLike === null ? NO_DECOY : `${a.behavesLike.name} (${a.behavesLike.basis})`;
        like.set(name, (like.get(name) ?? 0) + 1);
      }
      const first = group[0];
      return {
        check,
        attempts: group.map((a) => a.attempt),
        behavesLike: [...like].map(([name, count]) => ({ name, count })),
        message: first?.firstFailingCheck?.message ?? first?.feedback ?? '',
      };
    });
}
