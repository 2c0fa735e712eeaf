import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { SpecError } from '../errors.ts';
import { loadTask } from '../task/loadTask.ts';
import { str } from './_args.ts';
import type { Command } from './Command.ts';

export const list: Command = {
  name: 'list',
  summary: 'list the tasks in a directory (default tasks/) with id and title',
  usage: 'rltask list [--dir tasks]',
  help: '  --dir D   directory of task files (default: tasks)',
  options: { dir: { type: 'string' } },
  async run(_positionals, values, io) {
    const dir = str(values, 'dir') ?? 'tasks';
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
        rows.push(['(invalid)', '', e.problems[0] === undefined ? e.message : `${e.problems[0].path}: ${e.problems[0].message}`, file]);
      }
    }
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), 2));
    for (const r of rows) io.out(`${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padEnd(widths[2]!)}  ${r[3]}\n`);
    io.out(`${rows.length} task${rows.length === 1 ? '' : 's'}${bad > 0 ? `, ${bad} invalid` : ''}\n`);
    return bad > 0 ? 2 : 0;
  },
};
