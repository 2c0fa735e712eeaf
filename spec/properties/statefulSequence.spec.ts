import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { chernoffUpper } from '../../properties/_dropoutContract.ts';
import { generateSequence, type SequenceConfig } from '../../properties/_sequence.ts';
import type { CheckOutcome } from '../../properties/PropertyContract.ts';
import { resolveProperty } from '../../properties/registry.ts';
import { referenceCodeOf, referenceSolution } from '../../src/grading/referenceSolution.ts';
import { runtimeFor } from '../../src/runtime/registry.ts';
import { statefulSequence } from '../../properties/statefulSequence.ts';
import { Oracle } from '../../src/sandbox/Oracle.ts';
import type { OracleReply } from '../../src/sandbox/protocol.ts';
import { Sandbox } from '../../src/sandbox/Sandbox.ts';
import { transpileModule } from '../../src/runtime/typescript/transpile.ts';
import { applyEdits, loadTask, type TaskSpec } from '../../src/task/loadTask.ts';
import { ROOT } from '../_helpers.ts';

// stateful-sequence against real sandboxes: the tasks' own configurations pass their reference solutions and fail
// the decoys written for behaviour over time, with messages that name the step; and the sequence machinery
// (generation, the keep and callEach requests, the mask test's bound) on its own.

const sandboxes: Sandbox[] = [];
after(async () => {
  await Promise.all(sandboxes.map((s) => s.dispose()));
});

async function loaded(source: string, file: string): Promise<Oracle> {
  const compiled = transpileModule(source, file);
  if (!compiled.ok) throw new Error(compiled.message);
  const sandbox = await Sandbox.start({ memoryMb: 512, outputBytes: 4096, cpuSeconds: 60 });
  sandboxes.push(sandbox);
  const r = await sandbox.load(compiled.code, file, 7, 10_000);
  if (!r.ok) throw new Error(`${r.thrown.name}: ${r.thrown.message}`);
  return new Oracle(sandbox, performance.now() + 120_000);
}

/** The task's subject file as the named decoy (or the reference solution, 'reference') leaves it. */
function variant(spec: TaskSpec, name: string): string {
  const files = new Map(spec.files.map((f) => [f.path, f.content]));
  const edits = name === 'reference' ? spec.solution.edits : spec.decoys.find((d) => d.name === name)?.edits;
  if (edits === undefined) throw new Error(`no decoy ${name}`);
  return applyEdits(files, edits).get(spec.grader.subject.file)!;
}

async function runOn(spec: TaskSpec, id: string, name: string, seed = 11): Promise<CheckOutcome> {
  const found = spec.grader.properties.find((p) => p.id === id);
  if (found === undefined) throw new Error(`no property ${id}`);
  const oracle = await loaded(variant(spec, name), spec.grader.subject.file);
  const reference = referenceSolution(referenceCodeOf(spec), runtimeFor(spec.runtime), 1);
  try {
    return await resolveProperty(found).run({ oracle, subject: spec.grader.subject.export, seed, reference: reference.solution });
  } finally {
    await reference.dispose();
  }
}

const STEP = /^call [\d,]+ of the sequence: \w+\(\) #[\d,]+ on instance \d+ \(/;

describe('stateful-sequence on the dropout task', async () => {
  const spec = await loadTask(path.join(ROOT, 'tasks/variance-dropout.yaml'));

  it('passes the reference solution, with over 10,000 calls in the sequence', async () => {
    const r = await runOn(spec, 'dropout-sequences', 'reference');
    assert.equal(r.passed, true, r.message);
    assert.ok((r.metrics?.['calls'] ?? 0) >= 10_000, r.message);
  });

  for (const name of [
    'bug',
    'wrong-after-3000-calls',
    'wrong-after-5000-calls-in-all',
    'planted-from-third-forward',
    'eval-identity-first-only',
    'rate-halved-after-two-evals',
    'drop-rate-halved-after-two-evals',
    'mask-reused',
    'wrong-from-seventh-layer',
    'default-rate-0-3',
    'clamps-huge-inputs',
    'nan-becomes-zero',
    'keep-probability-floored',
  ]) {
    it(`fails ${name}`, async () => {
      const r = await runOn(spec, 'dropout-sequences', name);
      assert.equal(r.passed, false, `${name} passed: ${r.message}`);
      assert.ok(STEP.test(r.message) || /^sequence 1: /.test(r.message) || /^new \w+\(/.test(r.message), r.message);
    });
  }

  it('names the step of a failure: the call, the method count on that layer and what came before', async () => {
    const r = await runOn(spec, 'dropout-sequences', 'planted-from-third-forward');
    assert.match(r.message, /^call [\d,]+ of the sequence: forward\(\) #[\d,]+ on instance \d+ \(new VarianceStabilizedDropout\([^)]*\)\), after .*forward\(\) ×[\d,]+/);
    assert.match(r.message, /expected 0 \(dropped\) or x·\(1−p\)\^-0\.5 = /);
    const late = await runOn(spec, 'dropout-sequences', 'wrong-after-3000-calls');
    const n = Number(/forward\(\) #([\d,]+)/.exec(late.message)?.[1]?.replaceAll(',', ''));
    assert.ok(n > 3000, late.message);
  });

  it('reports a mask reused on every call by a whole-sequence statistic, with its false-reject bound', async () => {
    const r = await runOn(spec, 'dropout-sequences', 'mask-reused');
    assert.match(r.message, /^sequence 1: .*(pairs of consecutive training masks on one layer were identical|inputs were dropped in training mode)/);
    assert.match(r.message, /1e-9/);
  });
});

describe('stateful-sequence on the Adam task', async () => {
  const spec = await loadTask(path.join(ROOT, 'tasks/adam-bias-correction.yaml'));

  it('passes the reference solution, step by step over at least 10,000 steps', async () => {
    const r = await runOn(spec, 'adam-sequences', 'reference');
    assert.equal(r.passed, true, r.message);
    assert.ok((r.metrics?.['calls'] ?? 0) >= 10_000, r.message);
  });

  for (const name of ['bug', 'bias-correction-dropped-after-1000', 't-capped-at-1000', 'counts-its-own-steps', 'moments-cached-by-params', 'new-arrays', 'wrong-after-5000-calls']) {
    it(`fails ${name}`, async () => {
      const r = await runOn(spec, 'adam-sequences', name);
      assert.equal(r.passed, false, `${name} passed: ${r.message}`);
      assert.match(r.message, STEP);
    });
  }

  it('t > 1000 decoys fail after step 1000 of one optimizer', async () => {
    const r = await runOn(spec, 'adam-sequences', 't-capped-at-1000');
    const n = Number(/adamStep\(\) #([\d,]+)/.exec(r.message)?.[1]?.replaceAll(',', ''));
    assert.ok(n > 1000, r.message);
  });
});

const CONFIG: SequenceConfig = {
  dims: { n: { min: 1, max: 4 } },
  construct: [
    { weight: 1, args: [{ type: 'number', min: 0, max: 0.5, log: false, integer: false, include: [], omit: 0 }] },
    { weight: 5, args: [] },
  ],
  kept: { s: { shape: ['n'], values: { dist: 'constant', value: 0, specials: false }, restart: 'renew' } },
  methods: [
    { name: 'forward', weight: 10, args: [{ type: 'array', shape: ['n'], values: { dist: 'uniform', min: -1, max: 1, specials: false }, elements: 'Float64Array', omit: 0 }], echo: true, each: true, returns: 'array' },
    { name: 'eval', weight: 1, args: [], echo: false, each: false, returns: 'array' },
  ],
  segment: 5,
  restartWeight: 1,
  instances: { min: 1, max: 6 },
  calls: { min: 1, max: 2000 },
  focus: 0.8,
};

describe('sequence generation', () => {
  it('is a function of the seed', () => {
    const a = generateSequence(CONFIG, { seed: 5, calls: 500, instances: 6 });
    const b = generateSequence(CONFIG, { seed: 5, calls: 500, instances: 6 });
    const c = generateSequence(CONFIG, { seed: 6, calls: 500, instances: 6 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('makes the calls and instances asked for; the first instance is built the first way and never restarted', () => {
    const steps = generateSequence(CONFIG, { seed: 9, calls: 2000, instances: 6 });
    const calls = (list: typeof steps) => list.reduce((n, s) => n + (s.kind === 'call' ? s.count : 0), 0);
    assert.equal(calls(steps), 2000);
    assert.ok(steps.length < 1000, `${steps.length} steps: runs of calls on one instance are one step`);
    const made = steps.filter((s) => s.kind === 'new');
    assert.equal(made.length, 6);
    assert.equal(made[0]!.kind === 'new' && made[0]!.args.length, 1);
    const restarts = steps.filter((s) => s.kind === 'restart');
    assert.ok(restarts.length > 0);
    assert.ok(restarts.every((s) => s.instance !== 1));
    const onFirst = calls(steps.filter((s) => s.instance === 1));
    assert.ok(onFirst > 1400, `${onFirst} calls on the first instance`);
  });

  it('counts each method per instance from 1, and from 1 again after a restart', () => {
    const steps = generateSequence(CONFIG, { seed: 3, calls: 2000, instances: 6 });
    const seen = new Map<string, number>();
    for (const s of steps) {
      if (s.kind === 'restart') for (const k of [...seen.keys()]) if (k.startsWith(`${s.instance}:`)) seen.delete(k);
      if (s.kind !== 'call') continue;
      const k = `${s.instance}:${s.alternative}`;
      assert.equal(s.methodOrdinal, (seen.get(k) ?? 0) + 1);
      seen.set(k, (seen.get(k) ?? 0) + s.count);
    }
  });
});

describe('the mask test bound', () => {
  // Exact upper tail of a Binomial(k, r): P(S ≥ c).
  function binomialTail(k: number, r: number, c: number): number {
    let logTerm = k * Math.log1p(-r);
    let sum = 0;
    for (let s = 0; s <= k; s++) {
      if (s > 0) logTerm += Math.log((k - s + 1) / s) + Math.log(r / (1 - r));
      if (s >= c) sum += Math.exp(logTerm);
    }
    return sum;
  }

  it('rejects with probability at most δ for independent masks', () => {
    for (const [k, r] of [[100, 0.5], [1000, 0.25], [2000, 0.01], [50, 0.9]] as const) {
      const c = chernoffUpper(k * r, k, 1e-9);
      assert.ok(binomialTail(k, r, c) <= 1e-9, `k = ${k}, r = ${r}, c = ${c}`);
      assert.ok(c <= k || r > 0.5, `k = ${k}, r = ${r}: a mask reused on every call must be detectable (c = ${c})`);
    }
  });
});

describe('sandbox requests for sequences', () => {
  const KEEP = `const seen = new WeakSet<object>();
export function step(a: Float64Array): number {
  const again = seen.has(a);
  seen.add(a);
  a[0] += 1;
  return again ? 1 : 0;
}
export class Layer {
  private calls = 0;
  forward(x: Float64Array): Float64Array {
    this.calls++;
    if (this.calls === 4) throw new RangeError('fourth call');
    if (this.calls === 3) return new Float32Array(x.length) as unknown as Float64Array;
    return x.map((v) => v * 2);
  }
}`;

  it('keep passes the same array to every call; a later keep overwrites it in place', async () => {
    const oracle = await loaded(KEEP, 'k.ts');
    const { request, handle } = oracle.keepRequest(new Float64Array([10, 0]));
    const call = { op: 'callExport', target: 'step', args: [{ kept: handle }], echoArgs: true } as const;
    const replies = await oracle.run([request, call, call, { op: 'keep', handle, value: new Float64Array([50, 1]) }, call], 'keep');
    const num = (r: OracleReply | undefined) => (r?.ok === true && r.value.type === 'number' ? r.value.value : NaN);
    const first = (r: OracleReply | undefined) => (r?.ok === true && r.args?.[0]?.type === 'typed' ? r.args[0].value[0] : NaN);
    assert.deepEqual([num(replies[1]), num(replies[2]), num(replies[4])], [0, 1, 1]);
    assert.deepEqual([first(replies[1]), first(replies[2]), first(replies[4])], [11, 12, 51]);
  });

  it('callEach runs the calls in order and stops at the first that does not return a Float64Array of the length', async () => {
    const oracle = await loaded(KEEP, 'k.ts');
    const { request, handle } = oracle.constructRequest('Layer', []);
    const inputs = new Float64Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const [, r1, r2] = await oracle.run(
      [request, { op: 'callEach', handle, method: 'forward', args: [undefined], arg: 0, returns: 'array', inputs: inputs.subarray(0, 4), length: 2, count: 2 }, { op: 'callEach', handle, method: 'forward', args: [undefined], arg: 0, returns: 'array', inputs: inputs.subarray(4), length: 2, count: 2 }],
      'callEach',
    );
    assert.ok(r1?.ok === true && r1.value.type === 'array');
    const [out, seen] = r1.value.items;
    assert.deepEqual(out?.type === 'typed' ? [...out.value] : null, [2, 4, 6, 8]);
    assert.deepEqual(seen?.type === 'typed' ? [...seen.value] : null, [1, 2, 3, 4]);
    assert.ok(r2?.ok === true && r2.value.type === 'array');
    const [done, , stop] = r2.value.items;
    assert.equal(done?.type === 'typed' ? done.value.length : -1, 0);
    assert.ok(stop?.type === 'array' && stop.items[0]?.type === 'string' && stop.items[0].value === 'returned');
  });
});

describe('callEach on an export', () => {
  const FUNCTIONS = `let calls = 0;
export function scaled(x: Float64Array, k: number, w: Float64Array): Float64Array {
  calls++;
  if (calls === 6) throw new TypeError('sixth call');
  return x.map((v, i) => v * k + w[i % w.length]);
}
export function total(x: Float64Array): number {
  x[0] = -1;
  return x.reduce((a, b) => a + b, 0);
}`;

  it('passes the fixed arguments to every call, the fresh array at its place, and reads numbers back', async () => {
    const oracle = await loaded(FUNCTIONS, 'f.ts');
    const inputs = new Float64Array([1, 2, 3, 4, 5, 6]);
    const [r1, r2, r3] = await oracle.run(
      [
        { op: 'callEach', handle: null, method: 'scaled', args: [undefined, 10, new Float64Array([0.5])], arg: 0, returns: 'array', inputs, length: 2, count: 3 },
        { op: 'callEach', handle: null, method: 'total', args: [undefined], arg: 0, returns: 'number', inputs: inputs.slice(), length: 3, count: 2 },
        { op: 'callEach', handle: null, method: 'scaled', args: [undefined, 1, new Float64Array([0])], arg: 0, returns: 'array', inputs, length: 2, count: 3 },
      ],
      'callEach on exports',
    );
    const items = (r: OracleReply | undefined) => (r?.ok === true && r.value.type === 'array' ? r.value.items.map((v) => (v.type === 'typed' ? [...v.value] : v)) : null);
    assert.deepEqual(items(r1), [[10.5, 20.5, 30.5, 40.5, 50.5, 60.5], [1, 2, 3, 4, 5, 6]]);
    // Each call's own array: the write to x[0] shows in what the call left, not in the next call's input.
    assert.deepEqual(items(r2), [[4, 10], [-1, 2, 3, -1, 5, 6]]);
    const [done, , stop] = items(r3) ?? [];
    assert.deepEqual(done, [1, 2, 3, 4]);
    assert.deepEqual(stop, { type: 'array', items: [{ type: 'string', value: 'threw' }, { type: 'string', value: 'TypeError' }, { type: 'string', value: 'sixth call' }] });
  });
});

describe('stateful-sequence on the function tasks: 10,000+ calls in runs, a call counter shows', async () => {
  for (const [file, id] of [['softplus', 'long-run'], ['stable-softmax', 'long-run'], ['layer-norm', 'long-run']] as const) {
    const spec = await loadTask(path.join(ROOT, `tasks/${file}.yaml`));
    it(`${file}: the reference solution passes with at least 10,000 calls`, async () => {
      const r = await runOn(spec, id, 'reference');
      assert.equal(r.passed, true, r.message);
      assert.ok((r.metrics?.['calls'] ?? 0) >= 10_000, r.message);
    });
    it(`${file}: a counter that goes wrong after 5,000 calls fails, at a call after the 5,000th`, async () => {
      const r = await runOn(spec, id, 'wrong-after-5000-calls');
      assert.equal(r.passed, false, r.message);
      assert.match(r.message, STEP);
      const n = Number(/^call ([\d,]+)/.exec(r.message)?.[1]?.replaceAll(',', ''));
      assert.ok(n > 5000 && n <= 12_000, r.message);
      assert.match(r.message, /x = /);
    });
  }
});

describe('configuration errors are reported at load time, with the key', () => {
  const base = { use: 'stateful-sequence', methods: [{ name: 'forward' }], check: { kind: 'reference' } };
  it('an unknown kept array', () => {
    const r = statefulSequence.item.safeParse({ ...base, methods: [{ name: 'forward', args: [{ type: 'kept', name: 'nope' }] }] });
    assert.equal(r.success, false);
    assert.match(JSON.stringify(r.error?.issues), /unknown kept array \\"nope\\"/);
  });
  it('an each run whose other arguments change from call to call, or with no generated array', () => {
    const array = { type: 'array', shape: [3], values: { dist: 'uniform' } };
    for (const args of [[array, { type: 'number', min: 0, max: 1 }], [array, array], [{ type: 'dim', name: 'n' }], []]) {
      const r = statefulSequence.item.safeParse({ ...base, dims: { n: { min: 1, max: 2 } }, methods: [{ name: 'forward', each: true, args }] });
      assert.equal(r.success, false, JSON.stringify(args));
      assert.match(JSON.stringify(r.error?.issues), /`each` needs one generated array argument/);
      assert.match(JSON.stringify(r.error?.issues), /"path":\["methods",0,"each"\]/);
    }
    const ok = statefulSequence.item.safeParse({
      ...base,
      dims: { n: { min: 1, max: 2 } },
      methods: [{ name: 'forward', each: true, returns: 'number', args: [{ type: 'dim', name: 'n' }, array, { type: 'per-instance', arg: { type: 'number', min: 0, max: 1 } }, { type: 'const', value: 2 }] }],
    });
    assert.equal(ok.success, true, JSON.stringify(ok.error?.issues));
  });
  it('the dropout check without a class', () => {
    const r = statefulSequence.item.safeParse({ ...base, check: { kind: 'dropout' } });
    assert.equal(r.success, false);
    assert.match(JSON.stringify(r.error?.issues), /class subject/);
  });
});
