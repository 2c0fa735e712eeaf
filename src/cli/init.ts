import { loadTask } from '../task/loadTask.ts';
import { initWorkspace } from '../workspace/initWorkspace.ts';
import { exactly } from './_args.ts';
import type { Command } from './Command.ts';

export const init: Command = {
  name: 'init',
  summary: "materialize a task's files into a workspace directory",
  usage: 'rltask init <task.yaml> <dir> [--force]',
  help: '  --force   write into a non-empty directory (replaces the task files, leaves others alone)',
  options: { force: { type: 'boolean', default: false } },
  async run(positionals, values, io) {
    exactly(positionals, 2, this.usage);
    const [taskFile, dir] = positionals as [string, string];
    const spec = await loadTask(taskFile);
    const written = await initWorkspace(spec, dir, { force: values['force'] === true });
    for (const f of spec.files) io.out(`  ${f.role.padEnd(9)} ${f.path}\n`);
    io.out(`wrote ${written.length} files for ${spec.id} v${spec.version} into ${dir}\n`);
    return 0;
  },
};
