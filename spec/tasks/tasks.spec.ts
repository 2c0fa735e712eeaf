import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { caseContents, taskCases } from '../../src/grading/gradeCases.ts';
import { loadTask, type TaskSpec } from '../../src/task/loadTask.ts';
import { initWorkspace } from '../../src/workspace/initWorkspace.ts';
import { cleanupTmp, cli, ROOT, tmp } from '../_helpers.ts';

// The tasks written as YAML only, through the real CLI: listed, demo-able, visible tests that fail on the bug
// and pass on the fix, correct alternatives accepted, near misses rejected, typos refused with exit 2.
// (`check` with re-grades runs on every task in CI.)

after(cleanupTmp);

const NEW_TASKS = ['stable-softmax', 'layer-norm', 'he-init', 'adam-bias-correction'] as const;
const file = (id: string) => path.join(ROOT, 'tasks', `${id}.yaml`);

async function workspace(spec: TaskSpec, contents?: Map<string, string>): Promise<string> {
  const dir = await tmp('rltask-task-');
  await initWorkspace(spec, dir, contents === undefined ? {} : { force: true, contents });
  return dir;
}

/** Workspaces whose subject file is `source`, one per entry; returns the dirs in order. */
async function workspaces(spec: TaskSpec, sources: readonly string[]): Promise<string[]> {
  return Promise.all(sources.map((s) => workspace(spec, new Map([[spec.grader.subject.file, s]]))));
}

describe('task files', () => {
  it('list shows every task, the YAML-only ones among them', async () => {
    const r = await cli(['list']);
    assert.equal(r.code, 0, r.stderr);
    for (const id of [...NEW_TASKS, 'softplus', 'variance-dropout']) assert.match(r.stdout, new RegExp(`^${id}\\s+v1\\s+`, 'm'));
    assert.ok(Number(/^(\d+) tasks$/m.exec(r.stdout)?.[1]) >= 5, r.stdout);
  });

  for (const id of NEW_TASKS) {
    it(`${id}: demo grades the bug, the reference and every decoy as expected (no ratio columns)`, async () => {
      const spec = await loadTask(file(id));
      assert.ok(spec.decoys.filter((d) => d.edits.length > 0).length >= 4, 'at least four named decoys besides the bug');
      const r = await cli(['demo', file(id)]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const n = taskCases(spec).length;
      assert.match(r.stdout, new RegExp(`^${n}/${n} cases got the expected verdict$`, 'm'));
      assert.doesNotMatch(r.stdout, /p=0\.3/);
      assert.match(r.stdout, /^reference\s+pass\s+✓ passed/m);
    });

    it(`${id}: the visible tests fail on the bug and pass on the reference fix`, async () => {
      const spec = await loadTask(file(id));
      const bug = await cli(['test', file(id), await workspace(spec)]);
      assert.equal(bug.code, 1, bug.stdout);
      assert.match(bug.stdout, /^not ok - /m);
      const reference = taskCases(spec).find((c) => c.kind === 'reference')!;
      const fixed = await cli(['test', file(id), await workspace(spec, caseContents(spec, reference))]);
      assert.equal(fixed.code, 0, fixed.stdout);
      assert.match(fixed.stdout, /# all tests passed/);
    });
  }
});

/** Correct implementations written differently from the reference: the tolerances must accept them. */
const correct: Record<(typeof NEW_TASKS)[number], Record<string, string>> = {
  'stable-softmax': {
    'exp(x − max) / Σ': `export function logSumExp(x: Float64Array): number {
  if (x.length === 0) throw new RangeError('logSumExp needs at least one value');
  let m = x[0];
  for (const v of x) m = Math.max(m, v);
  let s = 0;
  for (const v of x) s += Math.exp(v - m);
  return m + Math.log(s);
}

export function softmax(x: Float64Array): Float64Array {
  let m = -Infinity;
  for (const v of x) if (v > m) m = v;
  const out = x.map((v) => Math.exp(v - m));
  let s = 0;
  for (const v of out) s += v;
  for (let i = 0; i < out.length; i++) out[i] /= s;
  return out;
}
`,
    'log1p of the other terms': `export function logSumExp(x: Float64Array): number {
  if (x.length === 0) throw new RangeError('logSumExp needs at least one value');
  let k = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[k]) k = i;
  let rest = 0;
  for (let i = 0; i < x.length; i++) if (i !== k) rest += Math.exp(x[i] - x[k]);
  return x[k] + Math.log1p(rest);
}

export function softmax(x: Float64Array): Float64Array {
  const lse = logSumExp(x);
  return x.map((v) => Math.exp(v - lse));
}
`,
    'pairwise sums, from the last logit to the first': `function pairwise(a: Float64Array, lo: number, hi: number): number {
  if (hi - lo <= 8) { let s = 0; for (let i = hi - 1; i >= lo; i--) s += a[i]; return s; }
  const mid = (lo + hi) >> 1;
  return pairwise(a, lo, mid) + pairwise(a, mid, hi);
}
export function logSumExp(x: Float64Array): number {
  if (x.length === 0) throw new RangeError('logSumExp needs at least one value');
  let m = -Infinity;
  for (let i = x.length - 1; i >= 0; i--) if (x[i] > m) m = x[i];
  return m + Math.log(pairwise(x.map((v) => Math.exp(v - m)), 0, x.length));
}

export function softmax(x: Float64Array): Float64Array {
  let m = -Infinity;
  for (const v of x) if (v > m) m = v;
  const e = x.map((v) => Math.exp(v - m));
  const s = pairwise(e, 0, e.length);
  return e.map((v) => v / s);
}
`,
  },
  'layer-norm': {
    "Welford's update": `export function layerNorm(x: Float64Array, rows: number, cols: number, gamma: Float64Array, beta: Float64Array, eps = 1e-5): Float64Array {
  if (x.length !== rows * cols || gamma.length !== cols || beta.length !== cols) throw new RangeError('shape');
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    let m2 = 0;
    for (let j = 0; j < cols; j++) {
      const v = x[r * cols + j];
      const d = v - mean;
      mean += d / (j + 1);
      m2 += d * (v - mean);
    }
    const inv = 1 / Math.sqrt(m2 / cols + eps);
    for (let j = 0; j < cols; j++) out[r * cols + j] = (x[r * cols + j] - mean) * inv * gamma[j] + beta[j];
  }
  return out;
}
`,
    'one pass, shifted by the first value': `export function layerNorm(x: Float64Array, rows: number, cols: number, gamma: Float64Array, beta: Float64Array, eps = 1e-5): Float64Array {
  if (x.length !== rows * cols || gamma.length !== cols || beta.length !== cols) throw new RangeError('shape');
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    const k = x[r * cols];
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[r * cols + j] - k;
      s1 += d;
      s2 += d * d;
    }
    const mean = k + s1 / cols;
    const variance = Math.max(0, (s2 - (s1 * s1) / cols) / cols);
    const sd = Math.sqrt(variance + eps);
    for (let j = 0; j < cols; j++) out[r * cols + j] = (gamma[j] * (x[r * cols + j] - mean)) / sd + beta[j];
  }
  return out;
}
`,
  },
  'he-init': {
    "Marsaglia's polar method": `export function heNormal(fanIn: number, fanOut: number, rng: () => number): Float64Array {
  if (!(Number.isInteger(fanIn) && fanIn >= 1 && Number.isInteger(fanOut) && fanOut >= 1)) throw new RangeError('fan');
  const std = Math.sqrt(2 / fanIn);
  const w = new Float64Array(fanIn * fanOut);
  let spare: number | null = null;
  for (let i = 0; i < w.length; i++) {
    if (spare !== null) {
      w[i] = std * spare;
      spare = null;
      continue;
    }
    let u = 0, v = 0, s = 0;
    do {
      u = 2 * rng() - 1;
      v = 2 * rng() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    w[i] = std * u * f;
    spare = v * f;
  }
  return w;
}
`,
  },
  'adam-bias-correction': {
    "PyTorch's arrangement: (lr / c1) · m / (sqrt(v) / sqrt(c2) + eps)": `export function adamStep(
  params: Float64Array,
  grads: Float64Array,
  m: Float64Array,
  v: Float64Array,
  t: number,
  lr = 1e-3,
  beta1 = 0.9,
  beta2 = 0.999,
  eps = 1e-8,
): Float64Array {
  if (grads.length !== params.length || m.length !== params.length || v.length !== params.length) throw new RangeError('length');
  if (!(Number.isInteger(t) && t >= 1)) throw new RangeError('t');
  const stepSize = lr / (1 - Math.pow(beta1, t));
  const root2 = Math.sqrt(1 - Math.pow(beta2, t));
  for (let i = 0; i < params.length; i++) {
    m[i] = m[i] * beta1 + grads[i] * (1 - beta1);
    v[i] = v[i] * beta2 + grads[i] * grads[i] * (1 - beta2);
    params[i] = params[i] - stepSize * (m[i] / (Math.sqrt(v[i]) / root2 + eps));
  }
  return params;
}
`,
    "the paper's efficient form: α_t = lr·√(1 − β2^t)/(1 − β1^t), ε̂ = eps·√(1 − β2^t)": `export function adamStep(
  params: Float64Array,
  grads: Float64Array,
  m: Float64Array,
  v: Float64Array,
  t: number,
  lr = 1e-3,
  beta1 = 0.9,
  beta2 = 0.999,
  eps = 1e-8,
): Float64Array {
  if (grads.length !== params.length || m.length !== params.length || v.length !== params.length) throw new RangeError('length');
  if (!(Number.isInteger(t) && t >= 1)) throw new RangeError('t');
  const c2 = Math.sqrt(1 - beta2 ** t);
  const alpha = (lr * c2) / (1 - beta1 ** t);
  const epsHat = eps * c2;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * (g * g);
    params[i] -= (alpha * m[i]) / (Math.sqrt(v[i]) + epsHat);
  }
  return params;
}
`,
  },
};

/** Wrong in ways no decoy covers, with the check that must catch each. */
const nearMisses: Record<(typeof NEW_TASKS)[number], Record<string, [(s: string) => string, RegExp]>> = {
  'stable-softmax': {
    'probabilities rounded to float32': [(s) => s.replace('out[i] = Math.exp(x[i] - lse);', 'out[i] = Math.fround(Math.exp(x[i] - lse));'), /^softmax-matches-reference: result\[\d+\] is /],
    'logSumExp off by a relative 1e-9': [(s) => s.replace('return max + Math.log(sum);', 'return (max + Math.log(sum)) * (1 + 1e-9);'), /^(softmax|logsumexp)-matches-reference: result(\[\d+\])? is /],
  },
  'layer-norm': {
    'eps hard-coded instead of the parameter': [(s) => s.replace('const inv = 1 / Math.sqrt(variance + eps);', 'const inv = 1 / Math.sqrt(variance + 1e-5);'), /^matches-reference: result\[\d+\] is /],
    'gamma and beta swapped': [(s) => s.replace('gamma[j] * (x[row + j] - mean) * inv + beta[j]', 'beta[j] * (x[row + j] - mean) * inv + gamma[j]'), /^matches-reference: /],
  },
  'he-init': {
    'variance 10 % too large': [(s) => s.replace('const std = Math.sqrt(2 / fanIn);', 'const std = Math.sqrt(2.2 / fanIn);'), /^moment-ratio: E\[Y²\] is 1\.\d+ × the required/],
    'only positive weights': [(s) => s.replace('w[i] = std * r * Math.cos(t);', 'w[i] = std * r * Math.abs(Math.cos(t));').replace('w[i + 1] = std * r * Math.sin(t);', 'w[i + 1] = std * r * Math.abs(Math.sin(t));'), /^moment-ratio: the mean is /],
  },
  'adam-bias-correction': {
    'lr ignored (a hard-coded 1e-3)': [(s) => s.replace('params[i] -= (lr * (m[i]', 'params[i] -= (1e-3 * (m[i]'), /^matches-reference: /],
    'writes the step into grads': [(s) => s.replace('return params;', 'grads.fill(0);\n  return params;'), /^matches-reference(-extreme-gradients)?: modified argument 1: element \d+ of \d+ changed from .* to 0; the reference leaves it unchanged/],
  },
};

describe('grading the YAML-only tasks', () => {
  for (const id of NEW_TASKS) {
    it(`${id}: correct implementations written differently from the reference pass`, async () => {
      const spec = await loadTask(file(id));
      const dirs = await workspaces(spec, Object.values(correct[id]));
      const r = await cli(['grade', file(id), ...dirs, '--json', '--concurrency', '2']);
      const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { workspace: string; status: string; feedback: string });
      for (const res of results) assert.equal(res.status, 'passed', `${Object.keys(correct[id])[dirs.indexOf(res.workspace)]}: ${res.feedback}`);
      assert.equal(r.code, 0);
    });

    it(`${id}: near misses that no decoy covers fail, caught by the expected check`, async () => {
      const spec = await loadTask(file(id));
      const reference = caseContents(spec, taskCases(spec).find((c) => c.kind === 'reference')!).get(spec.grader.subject.file)!;
      const misses = Object.entries(nearMisses[id]);
      const dirs = await workspaces(spec, misses.map(([, [edit]]) => edit(reference)));
      for (const [name, [edit]] of misses) assert.notEqual(edit(reference), reference, `${name}: the edit must apply`);
      const r = await cli(['grade', file(id), ...dirs, '--json', '--concurrency', '2']);
      assert.equal(r.code, 1, r.stderr);
      for (const line of r.stdout.trim().split('\n')) {
        const res = JSON.parse(line) as { workspace: string; status: string; feedback: string };
        const [name, [, expected]] = misses[dirs.indexOf(res.workspace)]!;
        assert.equal(res.status, 'failed', name);
        assert.match(res.feedback, expected, name);
      }
    });
  }
});

describe('typos in a task file', () => {
  async function checkWith(id: string, edit: (yaml: string) => string) {
    const text = await readFile(file(id), 'utf8');
    const changed = edit(text);
    assert.notEqual(changed, text);
    const dir = await tmp('rltask-typo-');
    const f = path.join(dir, `${id}.yaml`);
    await writeFile(f, changed);
    return cli(['check', f]);
  }

  it('a misspelt property name: exit 2, naming it with file:line:column and a suggestion', async () => {
    const r = await checkWith('stable-softmax', (t) => t.replace('- use: finite-on-extremes', '- use: finite-on-extreme'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /stable-softmax\.yaml:\d+:\d+: grader\.properties\[7\]\.use: unknown property "finite-on-extreme" \(did you mean "finite-on-extremes"\?\)/);
  });

  it('a misspelt parameter: exit 2, naming the key', async () => {
    const r = await checkWith('layer-norm', (t) => t.replace('tolerance: { abs: 1.0e-6, rel: 0 }', 'tolerence: { abs: 1.0e-6, rel: 0 }'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /layer-norm\.yaml:\d+:\d+: grader\.properties\[2\]\.tolerence: unknown key "tolerence"/);
  });

  it('a misspelt enum value: exit 2, naming the key and the allowed values', async () => {
    const r = await checkWith('he-init', (t) => t.replace('distribution: gaussian', 'distribution: gausian'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /he-init\.yaml:\d+:\d+: grader\.properties\[0\]\.distribution: Invalid option: expected one of "gaussian"\|"uniform"\|"rademacher"/);
  });

  it('an undeclared dimension: exit 2, naming it', async () => {
    const r = await checkWith('he-init', (t) => t.replace('divideBy: [fanIn]', 'divideBy: [fan_in]'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /he-init\.yaml:\d+:\d+: grader\.properties\[0\]\.target\.divideBy\[0\]: unknown dimension "fan_in"; declare it under call\.dims/);
  });
});
