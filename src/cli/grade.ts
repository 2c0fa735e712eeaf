import { availableParallelism } from 'node:os';
import { gradeMany } from '../grading/gradeMany.ts';
import { loadTask } from '../task/loadTask.ts';
import { int } from './_args.ts';
import { exitCodeForResults, formatReport } from './_report.ts';
import type { Command } from './Command.ts';
import { RltaskError } from '../errors.ts';

export const grade: Command = {
  name: 'grade',
  summary: 'grade one or more workspaces; binary reward with feedback',
  usage: 'rltask grade <task.yaml> <workspace…> [--json] [--seed N] [--concurrency K] [--fail-fast]',
  help: [
    '  --json            one JSON object per workspace on stdout (JSON Lines when several, in completion order)',
    "  --seed N          seed for every random choice (default: the task's grader.seed)",
    '  --concurrency K   grades in flight at once (default: number of cores)',
    '  --fail-fast       stop each grade at its first failing check (same verdict; later checks reported as skipped)',
    'exit: 0 all passed, 1 some failed, 2 bad input (task file, missing workspace), 3 grader error, 130 interrupted',
  ].join('\n'),
  options: { json: { type: 'boolean', default: false }, seed: { type: 'string' }, concurrency: { type: 'string' }, 'fail-fast': { type: 'boolean', default: false } },
  async run(positionals, values, io) {
    if (positionals.length < 2) throw new RltaskError('E_USAGE', `expected a task file and at least one workspace\nusage: ${this.usage}`);
    const [taskFile, ...dirs] = positionals as [string, ...string[]];
    const spec = await loadTask(taskFile);
    const seed = values['seed'] === undefined ? undefined : int(values, 'seed', 0, 0, 0x7fffffff);
    const json = values['json'] === true;
    const results = await gradeMany(spec, dirs, {
      ...(seed === undefined ? {} : { seed }),
      concurrency: int(values, 'concurrency', availableParallelism(), 1, 256),
      failFast: values['fail-fast'] === true,
      signal: io.signal,
      onResult: (r) => io.out(json ? `${JSON.stringify(r)}\n` : formatReport(r)),
    });
    if (io.signal.aborted) {
      // Grades in flight were dropped, not failed: their children were killed by us, not by the submission.
      io.err(`rltask grade: interrupted — ${results.length} of ${dirs.length} workspaces graded, the rest were not\n`);
      return 130;
    }
    if (results.length < dirs.length) return 3;
    return exitCodeForResults(results);
  },
};
