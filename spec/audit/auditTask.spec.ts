import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { auditTask } from '../../src/audit/auditTask.ts';
import { loadTask } from '../../src/task/loadTask.ts';
import { cli, ROOT } from '../_helpers.ts';

// The audit end to end on real grades: a small task whose reference has an equivalent mutant and a grader with
// one property too few, the same task with that property, and the CLI's report, JSON and Markdown.

const scratch = await mkdtemp(path.join(tmpdir(), 'rltask-audit-spec-'));
after(() => rm(scratch, { recursive: true, force: true }));

/**
 * `halve(x)`: a new array of x_i / 2. The bug divides by 3. The reference carries a dead constant (`spare`), so
 * mutating it changes nothing: an equivalent mutant. The grader checks values against the reference on short
 * arrays, and on long ones only their finiteness unless `long` adds a property comparing their values.
 */
function halveTask(opts: { long: boolean; equivalent?: { mutant: string; reason: string }[]; fix?: string }): string {
  const properties: unknown[] = [
    {
      use: 'matches-reference',
      id: 'short',
      call: { dims: { n: { min: 1, max: 16 } }, args: [{ type: 'array', shape: ['n'], values: { dist: 'uniform', min: -10, max: 10 } }] },
      tolerance: { ulps: 0 },
      runs: 30,
    },
    // Long inputs are generated, but only their finiteness is checked: a mutant of the long-input branch answers
    // differently there, and only a property comparing values on them can see it.
    {
      use: 'finite-on-extremes',
      id: 'long-finite',
      call: { dims: { n: { min: 100, max: 400 } }, args: [{ type: 'array', shape: ['n'], values: { dist: 'uniform', min: -10, max: 10 } }] },
      runs: 10,
    },
  ];
  if (opts.long) {
    properties.push({
      use: 'matches-reference',
      id: 'long',
      call: { dims: { n: { min: 100, max: 400 } }, args: [{ type: 'array', shape: ['n'], values: { dist: 'uniform', min: -10, max: 10 } }] },
      tolerance: { ulps: 0 },
      runs: 10,
    });
  }
  return stringify({
    id: 'halve',
    title: 'Halve',
    version: 1,
    prompt: 'halve.ts exports halve(x): a new array of x_i / 2. Fix it.',
    files: [{ path: 'halve.ts', role: 'editable', content: 'export function halve(x: Float64Array): Float64Array {\n  const spare = 7;\n  void spare;\n  return x.map((v) => v / 3);\n}\n' }],
    bug: { file: 'halve.ts', line: 'return x.map((v) => v / 3);', description: 'divides by 3' },
    solution: { edits: [{ file: 'halve.ts', find: 'v / 3', replace: opts.fix ?? 'x.length > 64 ? v * 0.5 : v / 2' }] },
    grader: { subject: { file: 'halve.ts', export: 'halve' }, properties },
    limits: { timeMs: 20000 },
    audit: { mutants: 1000, equivalent: opts.equivalent ?? [] },
  });
}

async function taskFile(name: string, text: string): Promise<string> {
  const file = path.join(scratch, `${name}.yaml`);
  await writeFile(file, text);
  return file;
}

describe('auditTask', () => {
  it('a grader without its long-input property lets the chimeras and mutants on long inputs survive; with it, they are caught', async () => {
    const without = await auditTask(await loadTask(await taskFile('short-only', halveTask({ long: false }))), { concurrency: 2 });
    const withLong = await auditTask(await loadTask(await taskFile('with-long', halveTask({ long: true }))), { concurrency: 2 });
    // The reference's long-input branch (v * 0.5 for n > 64): its mutants are visible only to `long`.
    const longBranch = (r: typeof without) => r.mutants.results.filter((m) => m.mutant.operator === 'constant' && m.mutant.original === '0.5');
    assert.ok(longBranch(without).length > 0);
    assert.ok(longBranch(without).every((m) => m.status === 'passed' && m.equivalence?.kind === 'differs'), JSON.stringify(longBranch(without).map((m) => [m.mutant.id, m.status, m.equivalence])));
    assert.ok(longBranch(withLong).every((m) => m.status === 'failed' && m.failedBy.includes('long')));
    assert.ok(withLong.kills.some((k) => k.check === 'long' && k.kills > 0));
    assert.ok(withLong.mutants.score > without.mutants.score, `${withLong.mutants.score} vs ${without.mutants.score}`);
    // A survivor is reported with the call the grader never made, found by comparing it with the reference.
    assert.match(longBranch(without)[0]!.equivalence!.kind === 'differs' ? (longBranch(without)[0]!.equivalence as { how: string }).how : '', /halve\(Float64Array\(\d+\)/);
  });

  it('a mutant of dead code is classified likely equivalent, and left out of the score; an accepted one is reported as accepted', async () => {
    const report = await auditTask(await loadTask(await taskFile('equivalent', halveTask({ long: true }))), { concurrency: 2 });
    const spare = report.mutants.results.filter((m) => m.mutant.line === 2);
    assert.ok(spare.length > 0, 'mutants of `const spare = 7`');
    for (const m of spare) {
      assert.equal(m.status, 'passed');
      assert.equal(m.equivalence?.kind, 'likely-equivalent', m.mutant.id);
      assert.match((m.equivalence as { how: string }).how, /^identical to the reference, bit for bit, on \d+ calls drawn from the grader's 2 call specs/);
    }
    assert.equal(report.mutants.score, report.mutants.killed / (report.mutants.results.length - report.mutants.equivalent));
    const id = spare[0]!.mutant.id;
    const accepted = await auditTask(await loadTask(await taskFile('accepted', halveTask({ long: true, equivalent: [{ mutant: id, reason: 'spare is never read' }] }))), { concurrency: 2, mutants: 1000 });
    assert.deepEqual(accepted.mutants.results.find((m) => m.mutant.id === id)?.equivalence, { kind: 'accepted', reason: 'spare is never read' });
  });
});

describe('rltask audit', () => {
  it('prints the report, exits 1 when something survives, and writes JSON and Markdown', async () => {
    const file = await taskFile('cli', halveTask({ long: false }));
    const out = path.join(scratch, 'reports');
    const r = await cli(['audit', file, '--mutants', '20', '--concurrency', '2', '--out', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^halve v1 — audit FAILED/m);
    assert.match(r.stdout, /chimeras +\d+\/\d+ caught/);
    assert.match(r.stdout, /mutants +score [\d.]+ \(min 0\.9\)/);
    const md = await readFile(path.join(out, 'halve.audit.md'), 'utf8');
    assert.match(md, /^# Audit of halve v1: failed/);
    assert.match(md, /## Kills per check/);
    const j = await cli(['audit', file, '--mutants', '20', '--concurrency', '2', '--json']);
    const lines = j.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const report = JSON.parse(lines[0]!) as { task: string; ok: boolean; mutants: { graded: number } };
    assert.equal(report.task, 'halve');
    assert.equal(report.ok, false);
    assert.equal(report.mutants.graded, 20);
  });

  it('refuses a task whose reference solution fails its own grader, with exit 2 and the reason', async () => {
    const r = await cli(['audit', await taskFile('broken', halveTask({ long: true, fix: 'v / 0' })), '--mutants', '1']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /halve: the reference solution does not pass its own grader/);
  });
});

describe('rltask audit of a Python task', () => {
  it('grades Python chimeras, hacks and mutants (from Python\'s ast) of the Python dropout task, catches every one and exits 0', async () => {
    const r = await cli(['audit', path.join(ROOT, 'tasks/variance-dropout-py.yaml'), '--mutants', '2', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 2000));
    const report = JSON.parse(r.stdout.trim()) as {
      task: string;
      ok: boolean;
      chimeras: { total: number; caught: number };
      hacks: { total: number; caught: number };
      mutants: { generated: number; graded: number; killed: number; score: number };
    };
    assert.equal(report.task, 'variance-dropout-py');
    assert.equal(report.ok, true);
    assert.ok(report.chimeras.total >= 20, `${report.chimeras.total} chimeras`);
    assert.equal(report.chimeras.caught, report.chimeras.total);
    assert.ok(report.hacks.total >= 20, `${report.hacks.total} hacks`);
    assert.equal(report.hacks.caught, report.hacks.total);
    assert.ok(report.mutants.generated > 20, `${report.mutants.generated} mutants generated`);
    assert.equal(report.mutants.graded, 2);
    assert.equal(report.mutants.killed, 2);
  });
});
