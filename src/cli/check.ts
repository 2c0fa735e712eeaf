import { SpecError } from '../errors.ts';
import { checkSubject } from '../grading/checkSubject.ts';
import { selfTest } from '../grading/selfTest.ts';
import { loadTask } from '../task/loadTask.ts';
import { defineCommand } from './defineCommand.ts';

const pct = (x: number) => (x < 1e-4 ? x.toExponential(1) : x.toFixed(4));

export const check = defineCommand({
  name: 'check',
  summary: 'validate a task file and self-test it (bug fails, reference passes, decoys fail, re-grades stable)',
  positionals: [{ name: 'task', valueName: 'task.yaml', description: 'the task file', required: true }],
  options: {
    static: {
      type: 'boolean',
      description: 'only validate the file (schema, paths, edits) and load the subject from the reference solution (its export and the methods properties call must exist); grade nothing',
    },
    regrade: {
      type: 'int',
      valueName: 'N',
      min: 0,
      max: 1_000_000,
      default: 20,
      description: 're-grade the reference and the bug N times with fresh seeds and report false rejects / false accepts next to the bound the statistics promise',
    },
    seed: { type: 'int', valueName: 'N', min: 0, max: 0x7fffffff, defaultText: "the task's grader.seed", description: 'base seed' },
  },
  exits: {
    0: 'the task is valid and every case got its expected verdict',
    1: 'the self-test failed: a case got the wrong verdict, or re-grades disagreed beyond the bound',
    2: 'bad input: the task file is missing or invalid',
    3: 'a case ended in a grader error',
  },
  async run({ task }, { static: staticOnly, regrade: regrades, seed }, io) {
    const spec = await loadTask(task);
    // A subject the reference solution does not provide would fail every submission as if it were at fault.
    const problems = await checkSubject(spec);
    if (problems.length > 0) throw new SpecError(problems);
    io.out(`${spec.sourcePath}: valid — ${spec.id} v${spec.version}, ${spec.files.length} files, ${spec.decoys.length} decoys, ${spec.grader.properties.length} properties\n`);
    if (staticOnly) return 0;
    const result = await selfTest(spec, {
      regrades,
      ...(seed === undefined ? {} : { seed }),
      onCase: ({ case: c, result: r, ok }) =>
        io.out(`  ${ok ? '✓' : '✗'} ${c.name.padEnd(20)} expected ${c.expect}, got ${r.status.padEnd(6)} ${r.status === 'passed' ? '' : r.feedback.slice(0, 110)}\n`),
      onRegrade: (done, total) => {
        if (io.isTty) io.err(`\r  re-grading ${done}/${total}`);
        else if (done === total || done % 100 === 0) io.err(`  re-graded ${done}/${total}\n`);
      },
    });
    if (io.isTty && regrades > 0) io.err('\n');
    const g = result.regrade;
    io.out(
      `  re-grades: ${g.runs} × reference and bug with fresh seeds — false rejects ${g.falseRejects}, false accepts ${g.falseAccepts}, errors ${g.errors}` +
        ` (statistical bound: ≤ ${pct(g.expectedFalseRejects)} expected false rejects)\n`,
    );
    for (const m of g.misses) io.out(`    ${m.kind} (seed ${m.seed}): ${m.feedback.slice(0, 300)}\n`);
    for (const w of result.warnings) io.out(`  warning: ${w}\n`);
    io.out(result.ok ? 'self-test passed\n' : 'self-test FAILED\n');
    if (result.cases.some((c) => c.result.status === 'error') || g.errors > 0) return 3;
    return result.ok ? 0 : 1;
  },
});
