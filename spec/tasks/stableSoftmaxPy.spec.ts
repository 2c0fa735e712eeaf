import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanupTmp, ROOT, tmp } from '../_helpers.ts';
import { spawnCli } from '../cli/_spawnCli.ts';

// tasks/stable-softmax-py.yaml, the YAML-only Python task on the generic property library, through the real CLI:
// the self-test gives every case its expected verdict with the property that catches it, correct fixes written
// other ways pass, and the visible tests fail on the bug and pass on the fix.

after(cleanupTmp);

const TASK = path.join(ROOT, 'tasks/stable-softmax-py.yaml');

/** Correct fixes other than the reference: other formulas, pure Python, another summation, a guarded fallback. */
const CORRECT: Readonly<Record<string, string>> = {
  ratio: `import numpy as np


def log_sum_exp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)
`,
  'pure-python': `import math

import numpy as np


def log_sum_exp(x):
    m = float(np.max(x))
    return m + math.log(math.fsum(math.exp(v - m) for v in x.tolist()))


def softmax(x):
    lse = log_sum_exp(x)
    return np.array([math.exp(v - lse) for v in x.tolist()])
`,
  'errstate-fallback': `import numpy as np


def log_sum_exp(x):
    try:
        with np.errstate(all="raise"):
            return np.log(np.sum(np.exp(x)))
    except FloatingPointError:
        m = np.max(x)
        return m + np.log(np.sum(np.exp(x - m)))


def softmax(x):
    y = x - log_sum_exp(x)
    np.exp(y, out=y)
    return y
`,
  log1p: `import numpy as np


def log_sum_exp(x):
    i = int(np.argmax(x))
    m = x[i]
    return float(m + np.log1p(np.sum(np.exp(np.delete(x, i) - m))))


def softmax(x):
    return np.exp(x - log_sum_exp(x))
`,
};

describe('tasks/stable-softmax-py.yaml through the CLI', () => {
  it('check: the bug fails, the reference passes, every decoy fails on the property that catches it', async () => {
    const r = await spawnCli(['check', TASK, '--regrade', '2'], 900_000).exited;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const verdicts: readonly [string, RegExp][] = [
      ['bug', /failed softmax-matches-reference: result\[\d+\] is 0, expected/],
      ['reference', /passed/],
      ['wrong-after-5000-calls', /failed long-run: call [\d,]+ of the sequence/],
      ['float32-result', /failed softmax-matches-reference: result is a ndarray\[float32\]/],
      ['longdouble-result', /failed softmax-matches-reference: result is a ndarray\[float128\]/],
      ['row-vector-result', /failed softmax-matches-reference: result has shape \(1, (\d+)\), expected \(\1,\)/],
      ['list-result', /failed softmax-matches-reference: result is an array of length/],
      ['lse-as-array', /failed logsumexp-matches-reference: result is a Float64Array of shape \(1,\), not a number/],
      ['shift-in-place', /failed softmax-matches-reference/],
      ['softmax-into-input', /failed softmax-matches-reference: returned argument 0 itself \(updated in place\)/],
      ['memo-shift', /failed softmax-matches-reference/],
      ['hard-coded-visible-inputs', /failed softmax-matches-reference/],
      ['sys-exit-at-import', /failed policy: .*import of sys/],
      ['raise-systemexit-at-import', /failed load: loading softmax\.py failed: SystemExit/],
      ['renamed-parameter', /failed same-public-api: softmax\.py: softmax: parameter x renamed to logits/],
    ];
    for (const [name, verdict] of verdicts) {
      assert.match(r.stdout, new RegExp(`✓ ${name} +expected (?:fail|pass), got ${verdict.source}`), name);
    }
    assert.match(r.stdout, /re-grades: 2 × reference and bug with fresh seeds — false rejects 0, false accepts 0, errors 0/);
    assert.match(r.stdout, /self-test passed/);
    assert.doesNotMatch(r.stdout, /✗/);
  });

  it('grade: correct fixes written other ways pass (one batch)', async () => {
    const root = await tmp('rltask-softmax-py-');
    const dirs = await Promise.all(
      Object.entries(CORRECT).map(async ([name, source]) => {
        const dir = path.join(root, name);
        await mkdir(dir);
        assert.equal((await spawnCli(['init', TASK, dir], 60_000).exited).code, 0);
        await writeFile(path.join(dir, 'softmax.py'), source);
        return dir;
      }),
    );
    const r = await spawnCli(['grade', TASK, ...dirs, '--json', '--concurrency', '2'], 900_000).exited;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const verdicts = r.stdout.trim().split('\n').map((line) => {
      const parsed: unknown = JSON.parse(line);
      assert.ok(typeof parsed === 'object' && parsed !== null && 'status' in parsed && 'workspace' in parsed && 'feedback' in parsed);
      return `${path.basename(String(parsed.workspace))} ${String(parsed.status)} ${String(parsed.feedback)}`;
    });
    assert.deepEqual(verdicts.map((v) => v.split(' ').slice(0, 2).join(' ')).sort(), Object.keys(CORRECT).map((n) => `${n} passed`).sort(), verdicts.join('\n'));
  });

  it('test: test_softmax.py fails on the bug with its output and passes on the reference fix', async () => {
    const dir = await tmp('rltask-softmax-py-ws-');
    assert.equal((await spawnCli(['init', TASK, dir, '--force'], 60_000).exited).code, 0);
    const bug = await spawnCli(['test', TASK, dir], 120_000).exited;
    assert.equal(bug.code, 1, bug.stdout + bug.stderr);
    assert.match(bug.stdout + bug.stderr, /not ok - softmax of large logits equals softmax of the shifted logits/);
    await writeFile(path.join(dir, 'softmax.py'), CORRECT['ratio']!);
    const fixed = await spawnCli(['test', TASK, dir], 120_000).exited;
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    assert.match(fixed.stdout + fixed.stderr, /# all tests passed/);
  });
});
