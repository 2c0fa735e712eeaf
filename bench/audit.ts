/**
 * `npm run bench:audit -- [--task FILE] [--mutants N] [--rounds N]`: what an audit costs — programs audited per
 * second and the audit's wall-clock time, next to `node -e 0` (t₀) measured in the same run, because absolute
 * times on a shared machine drift. Default: the dropout task with its default settings, one round.
 */
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { auditTask } from '../src/audit/auditTask.ts';
import { loadTask } from '../src/task/loadTask.ts';
import { measure, run } from './_timing.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { task: { type: 'string', default: 'tasks/variance-dropout.yaml' }, mutants: { type: 'string' }, rounds: { type: 'string', default: '1' } } });
const rounds = z.coerce.number().int().min(1).max(100).parse(values.rounds);
const mutants = values.mutants === undefined ? undefined : z.coerce.number().int().min(0).max(10_000).parse(values.mutants);
const spec = await loadTask(path.resolve(ROOT, values.task));

const t0 = async () =>
  measure('baseline', 'node -e 0 (t₀)', async () => {
    const r = await run(process.execPath, ['-e', '0'], ROOT);
    if (r.code !== 0) throw new Error('node -e 0 failed');
  }, { iterations: 15, warmup: 2 });

const load0 = loadavg();
const before = await t0();
let programs = 0;
let ok = true;
const audit = await measure('audit', `audit ${spec.id}`, async () => {
  const r = await auditTask(spec, mutants === undefined ? {} : { mutants });
  programs = r.chimeras.length + r.hacks.length + r.mutants.results.length;
  ok &&= r.ok;
}, { iterations: rounds });
const after = await t0();
const t0ms = (before.medianMs + after.medianMs) / 2;
const seconds = audit.medianMs / 1000;
process.stdout.write(
  [
    `audit of ${spec.id}: ${programs} programs (chimeras, hacks, mutants) in ${seconds.toFixed(1)} s (median of ${rounds}), ${(programs / seconds).toFixed(2)} programs/s, audit ${ok ? 'passed' : 'FAILED'}`,
    `t₀ = node -e 0: ${t0ms.toFixed(1)} ms; the audit is ${(audit.medianMs / t0ms).toFixed(0)} t₀, ${(audit.medianMs / t0ms / programs).toFixed(1)} t₀ per program`,
    `load average ${load0.map((l) => l.toFixed(2)).join(' ')} → ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ].join('\n') + '\n',
);
