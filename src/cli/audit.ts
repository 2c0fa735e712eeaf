import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { auditTask } from '../audit/auditTask.ts';
import { auditJson, renderAuditMarkdown, renderAuditText } from '../audit/renderAudit.ts';
import { loadTask } from '../task/loadTask.ts';
import { defineCommand } from './defineCommand.ts';

export const audit = defineCommand({
  name: 'audit',
  summary: "measure how hard a task's grader is to fool: chimeras of the reference and the bug, mutants of the reference, a hack battery",
  details:
    'Every audited program is wrong, so each one the grader passes is a hole. Surviving mutants are compared with the reference ' +
    "on the grader's own inputs: those identical bit for bit are reported as likely equivalent and left out of the mutation score " +
    "(killed / non-equivalent), as are those the task lists under audit.equivalent. With --json, one JSON object per task per line.",
  positionals: [{ name: 'tasks', valueName: 'task.yaml', description: 'task files to audit, one after the other', required: true, variadic: true }],
  options: {
    mutants: { type: 'int', valueName: 'N', min: 0, max: 10_000, defaultText: "the task's audit.mutants (60)", description: 'mutants of the reference graded per task (a seeded sample)' },
    seed: { type: 'int', valueName: 'N', min: 0, max: 0x7fffffff, defaultText: "the task's grader.seed", description: 'seed of the grades and of the mutant sample' },
    concurrency: { type: 'int', valueName: 'K', min: 1, max: 256, defaultText: 'the number of cores', description: 'grades in flight at once' },
    json: { type: 'boolean', description: 'one JSON object per task on stdout, one per line' },
    out: { type: 'string', valueName: 'DIR', description: 'also write a Markdown report per task, DIR/<task id>.audit.md' },
  },
  exits: {
    0: 'every task passed its audit: no chimera or hack got reward 1 and the mutation score reached audit.minScore',
    1: 'some audit failed: a chimera or hack got reward 1, or a mutation score is under audit.minScore',
    2: "bad input: a task file is missing or invalid, or its reference solution does not pass its grader",
    3: 'grader error (an audited program\'s grade ended in error)',
    130: 'interrupted: the audit in progress was dropped',
  },
  async run({ tasks }, { mutants, seed, concurrency, json, out }, io) {
    const specs = [];
    for (const t of tasks) specs.push(await loadTask(t));
    let failed = false;
    let broke = false;
    for (const spec of specs) {
      const report = await auditTask(spec, {
        ...(mutants === undefined ? {} : { mutants }),
        ...(seed === undefined ? {} : { seed }),
        ...(concurrency === undefined ? {} : { concurrency }),
        signal: io.signal,
        onGraded: (done, total) => {
          if (io.isTty) io.err(`\r  ${spec.id}: graded ${done}/${total}`);
        },
      }).catch((e: unknown) => {
        if (io.signal.aborted) return null;
        throw e;
      });
      if (io.isTty) io.err('\r\x1b[K');
      if (report === null) {
        io.err(`rltask audit: interrupted during ${spec.id}; its audit was dropped\n`);
        return 130;
      }
      io.out(json ? `${JSON.stringify(auditJson(report))}\n` : renderAuditText(report));
      if (out !== undefined) {
        await mkdir(out, { recursive: true });
        const file = path.join(out, `${spec.id}.audit.md`);
        // Written whole or not at all: a report cut short by a crash would read as complete.
        await writeFile(`${file}.tmp`, renderAuditMarkdown(report));
        await rename(`${file}.tmp`, file);
      }
      failed ||= !report.ok;
      broke ||= [...report.chimeras, ...report.hacks, ...report.mutants.results].some((o) => o.status === 'error');
    }
    return broke ? 3 : failed ? 1 : 0;
  },
});
