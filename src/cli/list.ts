import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { SpecError } from '../errors.ts';
import { loadTask } from '../task/loadTask.ts';
import { defineCommand } from './defineCommand.ts';

export const list = defineCommand({
  name: 'list',
  summary: 'list the tasks in a directory (default tasks/) with id and title',
  positionals: [],
  options: {
    dir: { type: 'directory', valueName: 'DIR', default: 'tasks', description: 'the directory holding the task files, .yaml or .yml' },
  },
  exits: {
    0: 'every task file is valid',
    2: 'bad input: a task file is invalid (listed as such), or the directory does not exist or is not one',
    3: 'internal error',
  },
  async run(_args, { dir }, io) {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
    let bad = 0;
    const rows: string[][] = [];
    for (const f of files) {
      const file = path.join(dir, f);
      try {
        const spec = await loadTask(file);
        rows.push([spec.id, `v${spec.version}`, spec.title, file]);
      } catch (e) {
        if (!(e instanceof SpecError)) throw e;
        bad++;
        const first = e.problems[0];
        const why = first === undefined ? e.message : first.path === '' ? first.message : `${first.path}: ${first.message}`;
        rows.push(['(invalid)', '', why, file]);
      }
    }
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), 2));
    for (const r of rows) io.out(`${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padEnd(widths[2]!)}  ${r[3]}\n`);
    io.out(`${rows.length} task${rows.length === 1 ? '' : 's'}${bad > 0 ? `, ${bad} invalid` : ''}\n`);
    return bad > 0 ? 2 : 0;
  },
});
