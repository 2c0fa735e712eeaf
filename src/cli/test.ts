import { loadTask } from '../task/loadTask.ts';
import { runVisibleTests } from '../workspace/runVisibleTests.ts';
import { defineCommand } from './defineCommand.ts';

export const test = defineCommand({
  name: 'test',
  summary: "run a workspace's visible tests in the grading sandbox and print their output",
  details: 'The grader checks more than these tests do: passing them does not mean a grade passes.',
  positionals: [
    { name: 'task', valueName: 'task.yaml', description: 'the task file', required: true },
    { name: 'workspace', valueName: 'workspace', description: 'the workspace directory', required: true, type: 'directory' },
  ],
  options: {},
  exits: {
    0: 'the visible tests passed',
    1: 'the visible tests failed (or did not compile)',
    2: 'bad input: the task file, or a workspace that does not exist or cannot be read',
    3: 'internal error',
  },
  async run({ task, workspace }, _options, io) {
    const spec = await loadTask(task);
    const r = await runVisibleTests(spec, workspace);
    io.out(r.output.endsWith('\n') || r.output === '' ? r.output : `${r.output}\n`);
    io.out(`visible tests ${r.passed ? 'passed' : 'FAILED'} (${r.durationMs} ms)\n`);
    return r.passed ? 0 : 1;
  },
});
