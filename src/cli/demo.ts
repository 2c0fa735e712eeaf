import path from 'node:path';
import { caseContents, gradeCase, taskCases } from '../grading/gradeCases.ts';
import { measureRatios } from '../grading/measureRatios.ts';
import { packageRoot } from '../packageRoot.ts';
import { loadTask } from '../task/loadTask.ts';
import { defineCommand } from './defineCommand.ts';

const DEFAULT_TASK = path.join(packageRoot(), 'tasks/variance-dropout.yaml');
const RATES = [0.3, 0.5, 0.7] as const;

export const demo = defineCommand({
  name: 'demo',
  summary: 'grade the bug, the reference solution and every decoy of a task, and print a table',
  positionals: [{ name: 'task', valueName: 'task.yaml', description: "the task file (default: the variance-dropout task in rltask's tasks/)", required: false }],
  options: {},
  exits: {
    0: 'every case got its expected verdict',
    1: 'some case got the wrong verdict',
    2: 'bad input: the task file is missing or invalid',
    3: 'a case ended in a grader error',
  },
  async run({ task }, _options, io) {
    const spec = await loadTask(task ?? DEFAULT_TASK);
    const ratios = spec.grader.properties.some((p) => p.use === 'second-moment-ratio');
    io.out(`${spec.title} (${spec.id} v${spec.version})\n`);
    if (ratios) io.out('E[Y²]/E[X²] on 200 000 N(0,1) inputs — 1.000 is right; the planted bug gives 1.43 / 2.00 / 3.33\n');
    io.out('\n');
    const header = ['case', 'expected', 'verdict', ...(ratios ? RATES.map((p) => `p=${p}`) : []), 'first failing check'];
    const rows: string[][] = [];
    let wrong = 0;
    let broken = 0;
    const cases = taskCases(spec);
    // Rows are printed as their grades finish, so the name column is sized from every case's name first.
    const widths: Record<string, number> = { ...WIDTHS, case: Math.max(WIDTHS['case']!, ...cases.map((c) => c.name.length)) };
    const formatRow = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widthOf(i, header, widths)))).join('  ');
    io.out(`${formatRow(header)}\n${header.map((_, i) => '-'.repeat(widthOf(i, header, widths))).join('  ')}\n`);
    for (const c of cases) {
      const r = await gradeCase(spec, c);
      const ok = r.status === (c.expect === 'pass' ? 'passed' : 'failed');
      if (!ok) wrong++;
      if (r.status === 'error') broken++;
      const first = r.status === 'passed' ? '—' : r.feedback;
      const cells = [c.name, c.expect, `${ok ? '✓' : '✗'} ${r.status}`];
      if (ratios) {
        const src = caseContents(spec, c).get(spec.grader.subject.file) ?? '';
        for (const v of await measureRatios(spec, src, RATES)) cells.push(v === null ? 'n/a' : v.toFixed(3));
      }
      cells.push(first.length > 100 ? `${first.slice(0, 99)}…` : first);
      rows.push(cells);
      io.out(`${formatRow(cells)}\n`);
    }
    io.out(`\n${rows.length - wrong}/${rows.length} cases got the expected verdict\n`);
    return broken > 0 ? 3 : wrong > 0 ? 1 : 0;
  },
});

const WIDTHS: Readonly<Record<string, number>> = { case: 20, expected: 8, verdict: 9 };
function widthOf(i: number, header: readonly string[], widths: Readonly<Record<string, number>>): number {
  const h = header[i]!;
  return widths[h] ?? (h.startsWith('p=') ? 6 : h.length);
}
