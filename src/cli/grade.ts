import { gradeMany } from '../grading/gradeMany.ts';
import { loadTask } from '../task/loadTask.ts';
import { exitCodeForResults, formatReport, formatSummary } from './_report.ts';
import { defineCommand } from './defineCommand.ts';

export const grade = defineCommand({
  name: 'grade',
  summary: 'grade one or more workspaces; binary reward with feedback',
  details:
    'Each workspace gets a report (with --json, one JSON object per line: JSON Lines, in completion order). ' +
    'With several workspaces and without --json, a last line sums up how many passed, failed and could not be graded.',
  positionals: [
    { name: 'task', valueName: 'task.yaml', description: 'the task file', required: true },
    { name: 'workspaces', valueName: 'workspace', description: 'workspace directories to grade; every one must exist', required: true, variadic: true, type: 'directory' },
  ],
  options: {
    json: { type: 'boolean', description: 'one JSON object per workspace on stdout, one per line (JSON Lines)' },
    seed: { type: 'int', valueName: 'N', min: 0, max: 0x7fffffff, defaultText: "the task's grader.seed", description: 'seed for every random choice' },
    concurrency: { type: 'int', valueName: 'K', min: 1, max: 256, defaultText: 'the number of cores', description: 'grades in flight at once' },
    'fail-fast': { type: 'boolean', description: 'stop each grade at its first failing check (same verdict; later checks reported as skipped)' },
  },
  exits: {
    0: 'every workspace passed',
    1: 'some workspace failed',
    2: 'bad input: the task file, a workspace that does not exist, is not a directory or cannot be read',
    3: 'grader error (a grade ended in error, not in a verdict)',
    130: 'interrupted: the grades in flight were dropped, not reported',
  },
  async run({ task, workspaces }, { json, seed, concurrency, 'fail-fast': failFast }, io) {
    const spec = await loadTask(task);
    const results = await gradeMany(spec, workspaces, {
      ...(seed === undefined ? {} : { seed }),
      ...(concurrency === undefined ? {} : { concurrency }),
      failFast,
      signal: io.signal,
      onResult: (r) => io.out(json ? `${JSON.stringify(r)}\n` : formatReport(r)),
    });
    if (io.signal.aborted) {
      // Grades in flight were dropped, not failed: their children were killed by us, not by the submission.
      io.err(`rltask grade: interrupted — ${results.length} of ${workspaces.length} workspaces graded, the rest were not\n`);
      return 130;
    }
    if (!json && workspaces.length > 1) io.out(formatSummary(results));
    if (results.length < workspaces.length) return 3;
    return exitCodeForResults(results);
  },
});
