/**
 * The audit's chimeras (src/audit/chimeras.ts): programs that answer like the reference fix except under a
 * trigger, where they answer wrongly.
 *
 * 1. Generation: unique names; every chimera compiles and passes the permissions policy and the task's static
 *    checks (same-public-api, uses-sqrt), so that it is the properties that must catch it; triggers stay inside
 *    the domain the properties generate — a task copy whose properties only make n ≤ 8 gets no "n > 64" chimera,
 *    a call-count trigger never reaches the calls a grade makes, value triggers only for values the generators
 *    make.
 * 2. Every chimera of every task gets status `failed` from the real grader, one `gradeMany` batch per task.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { AuditProgram } from '../../src/audit/AuditProgram.ts';
import { chimeras } from '../../src/audit/chimeras.ts';
import { loadTask, type TaskSpec } from '../../src/task/loadTask.ts';
import { ROOT } from '../_helpers.ts';
import { gradePrograms, staticChecks } from './_programs.ts';

const TASKS = ['adam-bias-correction', 'he-init', 'layer-norm', 'softplus', 'stable-softmax', 'variance-dropout'] as const;

/**
 * Chimeras that got reward 1: holes in the grader, left out of the "must fail" assertion until the grader is
 * fixed (task → chimera name → what lets it through). None at the tasks' own seeds, which this file grades.
 *
 * At other seeds three narrow-band chimeras get reward 1 (`rltask grade --seed N`, seeds 1–24 tried):
 * variance-dropout band-dropoutRate (p ∈ [0.57, 0.665]) at 12 of 24 seeds — only the stateful sequence draws
 * mid-range rates, because rateArbitrary (properties/_params.ts) draws fc.double over [0, 0.999] by bit
 * pattern: 91 % of its rates are below 1e-10, 0.4 % in [0.05, 0.95]; adam-bias-correction band-beta2
 * (beta2 ∈ [0.96, 0.97]) at 8 of 24 and band-beta1 (beta1 ∈ [0.794, 0.843]) at 2 of 24 — about 20 and 30 of
 * matches-reference's 100 cases draw beta2 and beta1 from their ranges (the rest are include values or
 * omitted), and the sequences draw beta2 from [0.99, 0.99999] only.
 */
const HOLES: Readonly<Record<string, Readonly<Record<string, string>>>> = {};

const tasks = new Map<string, TaskSpec>();
for (const id of TASKS) tasks.set(id, await loadTask(path.join(ROOT, 'tasks', `${id}.yaml`)));

const scratch = await mkdtemp(path.join(tmpdir(), 'rltask-audit-chimeras-'));
after(() => rm(scratch, { recursive: true, force: true }));

/** A deep copy of a task whose properties' parameters `edit` may change (the copy is never graded). */
function variant(spec: TaskSpec, edit: (params: Record<string, unknown>, use: string) => void): TaskSpec {
  const copy = structuredClone(spec);
  for (const p of copy.grader.properties) edit(p.params as Record<string, unknown>, p.use);
  return copy;
}

/** Every `dims` entry below `v` capped at `max`, and the dropout properties' lengths too. */
function capSizes(v: unknown, max: number): void {
  if (v === null || typeof v !== 'object') return;
  const o = v as Record<string, unknown>;
  if (!Array.isArray(v) && o.dims !== null && typeof o.dims === 'object') {
    for (const d of Object.values(o.dims as Record<string, { min: number; max: number }>)) {
      d.max = Math.min(d.max, max);
      d.min = Math.min(d.min, d.max);
    }
  }
  if (typeof o.maxLength === 'number') o.maxLength = Math.min(o.maxLength, max);
  if (typeof o.n === 'number') o.n = Math.min(o.n, max);
  for (const child of Object.values(o)) capSizes(child, max);
}

const names = (programs: readonly AuditProgram[]): string[] => programs.map((p) => p.name);

/**
 * The calls a grade of `spec` makes at most, by a loose count from the config: each stateful sequence's calls
 * (the first run calls.max, the others at most calls.max), each other property's runs times its largest pool of
 * calls. A call-count trigger at or beyond it could never fire.
 */
function callsAtMost(spec: TaskSpec): number {
  let n = 0;
  for (const p of spec.grader.properties) {
    const params = p.params as Record<string, unknown>;
    const runs = typeof params.runs === 'number' ? params.runs : 1;
    if (p.use === 'stateful-sequence') n += runs * (params.calls as { max: number }).max;
    else n += runs * (typeof params.maxCalls === 'number' ? params.maxCalls : 2);
  }
  return n;
}

describe('chimeras: generation', () => {
  for (const [id, spec] of tasks) {
    it(`${id}: unique names, the subject file only, every program compiles and passes the static checks`, async () => {
      const programs = chimeras(spec);
      assert.ok(programs.length >= 8, `${id}: only ${programs.length} chimeras`);
      assert.equal(new Set(names(programs)).size, programs.length, `${id}: duplicate names in ${names(programs).join(', ')}`);
      const failing: string[] = [];
      for (const p of programs) {
        assert.equal(p.kind, 'chimera');
        assert.ok(p.why.length > 0, `${id} ${p.name}: no why`);
        assert.deepEqual([...p.files.keys()], [spec.grader.subject.file], `${id} ${p.name}: changes other files`);
        assert.equal(p.symlinks, undefined);
        for (const c of await staticChecks(spec, p)) if (!c.passed) failing.push(`${p.name}: ${c.id}: ${c.message}`);
      }
      assert.deepEqual(failing, [], `${id}: chimeras the static checks refuse:\n  ${failing.join('\n  ')}`);
    });
  }

  it('a task whose properties only make n ≤ 8 gets no size-above-64 chimera (nor one above 1,024)', () => {
    for (const id of ['softplus', 'layer-norm', 'variance-dropout']) {
      const spec = tasks.get(id)!;
      assert.ok(names(chimeras(spec)).includes('size-above-64'), `${id}: the real task has size-above-64`);
      const small = names(chimeras(variant(spec, (params) => capSizes(params, 8))));
      assert.ok(!small.includes('size-above-64') && !small.includes('size-above-1024'), `${id} capped at n ≤ 8: ${small.join(', ')}`);
      assert.ok(small.includes('size-1'), `${id} capped at n ≤ 8 still has size-1: ${small.join(', ')}`);
    }
  });

  it('call-count triggers stay below the calls a grade makes', () => {
    for (const [id, spec] of tasks) {
      const most = callsAtMost(spec);
      for (const name of names(chimeras(spec))) {
        const k = /^after-(\d+)-/.exec(name)?.[1];
        if (k !== undefined) assert.ok(Number(k) < most, `${id}: ${name}, but a grade makes at most ${most} calls`);
      }
    }
    // Softplus with its 12,000-call run cut to 1,000 (and its other properties left as they are): no trigger at 2,000 or later.
    const softplus = tasks.get('softplus')!;
    assert.ok(names(chimeras(softplus)).includes('after-10000-calls'));
    const short = names(
      chimeras(
        variant(softplus, (params, use) => {
          if (use === 'stateful-sequence') params.calls = { min: 100, max: 1000 };
        }),
      ),
    );
    assert.deepEqual(
      short.filter((n) => n.startsWith('after-')),
      ['after-50-calls'],
      `softplus with 1,000-call runs: ${short.join(', ')}`,
    );
    // Dropout without its sequences: no per-instance counts, phases or default-constructed instances are known.
    const dropout = tasks.get('variance-dropout')!;
    const noSequences = structuredClone(dropout);
    (noSequences.grader as { properties: unknown[] }).properties = dropout.grader.properties.filter((p) => p.use !== 'stateful-sequence');
    const left = names(chimeras(noSequences));
    for (const gone of ['after-2-forward-calls-on-one-instance', 'after-second-eval', 'default-constructed', 'from-instance-2', 'non-finite', 'band-dropoutRate']) {
      assert.ok(names(chimeras(dropout)).includes(gone), `variance-dropout has ${gone}`);
      assert.ok(!left.includes(gone), `variance-dropout without sequences still has ${gone}`);
    }
    assert.ok(left.includes('size-above-1024'), 'the dropout properties’ lengths (maxLength 5,000) remain');
  });

  it('value triggers only for values the generators make', () => {
    const softplus = tasks.get('softplus')!;
    const all = names(chimeras(softplus));
    for (const n of ['exact-zero', 'subnormal', 'tie-at-max', 'huge']) assert.ok(all.includes(n), `softplus has ${n}`);
    // No property generates NaN or ±Infinity for softplus.
    assert.ok(!all.includes('non-finite'));
    // Without special values mixed in and with magnitudes up to 1e3: no zero, subnormal, tie or huge trigger.
    const plain = names(
      chimeras(
        variant(softplus, (params) => {
          const values = ((params.call as { args?: { values?: Record<string, unknown> }[] } | undefined)?.args ?? []).map((a) => a.values);
          const sequenceValues = ((params.methods as { args: { values?: Record<string, unknown> }[] }[] | undefined) ?? []).flatMap((m) => m.args.map((a) => a.values));
          for (const v of [...values, ...sequenceValues]) {
            if (v === undefined) continue;
            v.specials = false;
            if (v.dist === 'log-uniform') v.max = 1e3;
          }
        }),
      ),
    );
    for (const n of ['exact-zero', 'negative-zero', 'integers', 'subnormal', 'tie-at-max', 'huge']) assert.ok(!plain.includes(n), `softplus without specials has ${n}`);
    // He init takes no arrays: no value trigger at all.
    const he = names(chimeras(tasks.get('he-init')!));
    assert.ok(!he.some((n) => ['exact-zero', 'integers', 'subnormal', 'huge'].includes(n)), he.join(', '));
  });
});

describe('chimeras: every one fails on every task', () => {
  for (const [id, spec] of tasks) {
    it(id, async () => {
      const { notFailed: passedWrongly } = await gradePrograms(spec, chimeras(spec), scratch, HOLES[id] ?? {});
      assert.deepEqual(passedWrongly, [], `${id}: chimeras the grader did not fail:\n  ${passedWrongly.join('\n  ')}`);
    });
  }
});
