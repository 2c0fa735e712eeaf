import { loadTask } from '../task/loadTask.ts';
import { runVisibleTests } from '../workspace/runVisibleTests.ts';
import { exactly } from './_args.ts';
import type { Command } from './Command.ts';

export const test: Command = {
  name: 'test',
  summary: "run a workspace's visible tests in the grading sandbox and print their output",
  usage: 'rltask test <task.yaml> <workspace>',
  help: '  exit 0 when the visible tests pass, 1 when they fail. The grader checks more than these tests do.',
  options: {},
  async run(positionals, _values, io) {
    exactly(positionals, 2, this.usage);
    const spec = await loadTask(positionals[0]!);
    const r = await runVisibleTests(spec, positionals[1]!);
    io.out(r.output.endsWith('\n') || r.output === '' ? r.output : `${r.output}\n`);
    io.out(`visible tests ${r.passed ? 'passed' : 'FAILED'} (${r.durationMs} ms)\n`);
    return r.passed ? 0 : 1;
  },
};
