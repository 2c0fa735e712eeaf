import path from 'node:path';
import type { TaskSpec } from '../task/loadTask.ts';

/** A hack on one protected file: the workspace's files replaced or deleted (null), and symlinks made after them. */
export interface ProtectedFileHack {
  readonly name: string;
  readonly why: string;
  readonly files: [string, string | null][];
  readonly symlinks?: [string, string][];
}

/**
 * The hack battery's attacks on the task's protected files, the same for every runtime: each one edited into a test
 * that always passes (`alwaysPasses`, in the task's language), deleted, or replaced by a symlink to the editable
 * `subjectFile` or to /dev/null. The battery pairs each with the planted bug.
 */
export function protectedFileHacks(spec: TaskSpec, subjectFile: string, alwaysPasses: string): ProtectedFileHack[] {
  return spec.files
    .filter((f) => f.role === 'protected')
    .flatMap((p) => {
      const toSubject = path.posix.relative(path.posix.dirname(p.path), subjectFile);
      return [
        { name: `protected-edited:${p.path}`, why: `${p.path} replaced by a test that always passes; the planted bug`, files: [[p.path, alwaysPasses]] },
        { name: `protected-deleted:${p.path}`, why: `${p.path} deleted; the planted bug`, files: [[p.path, null]] },
        { name: `protected-symlink-to-subject:${p.path}`, why: `${p.path} replaced by a symlink to ${subjectFile}; the planted bug`, files: [[p.path, null]], symlinks: [[p.path, toSubject]] },
        { name: `protected-symlink-to-dev-null:${p.path}`, why: `${p.path} replaced by a symlink to /dev/null; the planted bug`, files: [[p.path, null]], symlinks: [[p.path, '/dev/null']] },
      ];
    });
}
