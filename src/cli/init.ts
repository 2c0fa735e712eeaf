import { loadTask } from '../task/loadTask.ts';
import { initWorkspace } from '../workspace/initWorkspace.ts';
import { defineCommand } from './defineCommand.ts';

export const init = defineCommand({
  name: 'init',
  summary: "materialize a task's files into a workspace directory",
  details: 'The directory is created if missing (with its parents). Files outside the task are never written.',
  positionals: [
    { name: 'task', valueName: 'task.yaml', description: 'the task file', required: true },
    { name: 'dir', valueName: 'dir', description: 'the workspace directory to write the task files into', required: true },
  ],
  options: {
    force: { type: 'boolean', description: 'write into a non-empty directory (replaces the task files, leaves others alone)' },
  },
  exits: {
    0: 'the files were written',
    2: 'bad input: the task file, or a directory that is not empty, not a directory or cannot be created',
    3: 'internal error',
  },
  async run({ task, dir }, { force }, io) {
    const spec = await loadTask(task);
    const written = await initWorkspace(spec, dir, { force });
    for (const f of spec.files) io.out(`  ${f.role.padEnd(9)} ${f.path}\n`);
    io.out(`wrote ${written.length} files for ${spec.id} v${spec.version} into ${dir}\n`);
    return 0;
  },
});
