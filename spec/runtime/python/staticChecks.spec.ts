import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Check } from '../../../src/runtime/Check.ts';
import { pythonRuntime } from '../../../src/runtime/python/pythonRuntime.ts';
import { runtimeFor } from '../../../src/runtime/registry.ts';
import type { Sandbox, SandboxOptions } from '../../../src/sandbox/Sandbox.ts';

const ORIGINAL = `import numpy as np


class VarianceStabilizedDropout:
    def __init__(self, dropout_rate=0.5):
        self.dropout_rate = dropout_rate
        self.training = True

    def __call__(self, x):
        if not self.training:
            return x
        keep_prob = 1.0 - self.dropout_rate
        mask = np.random.binomial(1, keep_prob, size=x.shape)
        scale = 1.0 / keep_prob
        return x * mask * scale

    def train(self):
        self.training = True

    def eval(self):
        self.training = False
`;

const FIXED = ORIGINAL.replace('scale = 1.0 / keep_prob', 'scale = 1.0 / np.sqrt(keep_prob)');
const LIMITS = { timeMs: 30_000, memoryMb: 1024, outputBytes: 65536 };

async function prepared(submitted: string): Promise<{ ok: boolean; checks: ReadonlyMap<string, Check> }> {
  const r = await pythonRuntime.prepare({
    files: new Map([['dropout.py', { submitted, original: ORIGINAL }]]),
    subject: { file: 'dropout.py', export: 'VarianceStabilizedDropout' },
    checks: [{ check: 'same-public-api' }, { check: 'uses-sqrt' }],
    limits: LIMITS,
  });
  if (r.ok) await r.child?.dispose();
  return { ok: r.ok, checks: new Map(r.checks.map((c) => [c.id, c])) };
}

function check(checks: ReadonlyMap<string, Check>, id: string): Check {
  const c = checks.get(id);
  assert.ok(c !== undefined, `no ${id} check`);
  return c;
}

describe('the Python runtime: static checks', () => {
  it('is registered as `python`', () => {
    assert.equal(runtimeFor('python'), pythonRuntime);
  });

  it('passes the reference fix: compile, policy, same-public-api, uses-sqrt', async () => {
    const { ok, checks } = await prepared(FIXED);
    assert.ok(ok);
    assert.deepEqual(
      [...checks.values()].map((c) => [c.id, c.passed]),
      [
        ['compile', true],
        ['policy', true],
        ['same-public-api', true],
        ['uses-sqrt', true],
      ],
    );
  });

  it('a syntax error fails compile with its place, and nothing else runs', async () => {
    const { ok, checks } = await prepared(FIXED.replace('def train(self):', 'def train(self)'));
    assert.equal(ok, false);
    assert.match(check(checks, 'compile').message, /^dropout\.py:17:\d+: expected ':'/);
    assert.equal(check(checks, 'policy').skipped, true);
  });

  it('the policy refuses imports, code generation, reflection, dunder attributes and patched modules, with their places', async () => {
    const cases: [string, RegExp][] = [
      ['import os\n', /dropout\.py:2:1: import of os \(only numpy and math may be imported\)/],
      ['import sys\nsys.exit(0)\n', /import of sys.*use of sys/],
      ['from subprocess import run\n', /import from subprocess/],
      ['import numpy.random as r\n', /^(?!)/],
      ['x = eval("1")\n', /use of eval/],
      ['f = open("/etc/passwd")\n', /use of open/],
      ['exec("x = 1")\n', /use of exec/],
      ['c = compile("1", "f", "eval")\n', /use of compile/],
      ['m = __import__("os")\n', /use of __import__/],
      ['g = globals()\n', /use of globals/],
      ['v = vars()\n', /use of vars/],
      ['n = "shape"\ny = getattr(np, n)\n', /getattr with a computed attribute name/],
      ['setattr(np, "var", 1)\n', /setattr on an imported module/],
      ['s = ().__class__.__bases__[0].__subclasses__()\n', /access to the attribute __subclasses__.*__bases__.*__class__/],
      ['d = np.__dict__\n', /access to the attribute __dict__/],
      ['b = __builtins__\n', /use of __builtins__/],
      ['np.var = lambda *a, **k: 1.0\n', /assigning to np\.var \(an attribute of an imported module\)/],
      ['np.random.seed = print\n', /assigning to np\.random\.seed/],
      ['np.save("x", np.zeros(1))\n', /use of np\.save/],
      ['np.zeros(1).tofile("x")\n', /use of \.tofile \(writes a file\)/],
      ['np.zeros(1).dump("x")\n', /use of \.dump \(writes a file\)/],
      ['import threading\n', /import of threading/],
    ];
    for (const [code, expected] of cases) {
      const { ok, checks } = await prepared(FIXED.replace('import numpy as np\n', `import numpy as np\n${code}`));
      const policy = check(checks, 'policy');
      if (code.startsWith('import numpy.random')) {
        assert.ok(policy.passed, `${code}: ${policy.message}`);
        continue;
      }
      assert.equal(ok, false, code);
      assert.equal(policy.passed, false, code);
      assert.match(policy.message, expected, code);
    }
  });

  it('same-public-api names what changed: a renamed method, a renamed parameter, a changed default, a new public method', async () => {
    const renamed = await prepared(FIXED.replace('def __call__(self, x):', 'def forward(self, x):'));
    assert.match(check(renamed.checks, 'same-public-api').message, /VarianceStabilizedDropout\.__call__ was renamed to forward/);
    const param = await prepared(FIXED.replace('def __init__(self, dropout_rate=0.5):\n        self.dropout_rate = dropout_rate', 'def __init__(self, p=0.5):\n        self.dropout_rate = p'));
    assert.equal(check(param.checks, 'same-public-api').message, 'dropout.py: VarianceStabilizedDropout.__init__: parameter dropout_rate renamed to p');
    const dflt = await prepared(FIXED.replace('dropout_rate=0.5', 'dropout_rate=0.3'));
    assert.match(check(dflt.checks, 'same-public-api').message, /the default of dropout_rate changed from 0\.5 to 0\.3/);
    const helper = await prepared(FIXED.replace('    def train(self):', '    def scale(self):\n        return 1\n\n    def _helper(self):\n        return 2\n\n    def train(self):'));
    const msg = check(helper.checks, 'same-public-api').message;
    assert.match(msg, /VarianceStabilizedDropout\.scale is new public API/);
    assert.doesNotMatch(msg, /_helper/);
    const cls = await prepared(FIXED.replace('class VarianceStabilizedDropout:', 'class Dropout:'));
    assert.match(check(cls.checks, 'same-public-api').message, /class VarianceStabilizedDropout was renamed to Dropout/);
  });

  it('uses-sqrt counts square roots in code, in the subject, never in comments or strings', async () => {
    const ways = ['1.0 / np.sqrt(keep_prob)', 'keep_prob ** -0.5', '1.0 / math.sqrt(keep_prob)', 'np.power(keep_prob, -0.5)', 'keep_prob ** (-1 / 2)', 'np.exp(-0.5 * np.log(keep_prob))'];
    for (const way of ways) {
      const { checks } = await prepared(FIXED.replace('import numpy as np\n', 'import math\n\nimport numpy as np\n').replace('1.0 / np.sqrt(keep_prob)', way));
      assert.ok(check(checks, 'uses-sqrt').passed, way);
    }
    const commented = await prepared(ORIGINAL.replace('scale = 1.0 / keep_prob', 'scale = 1.0 / keep_prob  # np.sqrt(keep_prob)\n        s = "np.sqrt(keep_prob) ** 0.5"'));
    const c = check(commented.checks, 'uses-sqrt');
    assert.equal(c.passed, false);
    assert.match(c.message, /^VarianceStabilizedDropout computes no square root in code/);
    const outside = await prepared(`${ORIGINAL}\n\ndef unused(q):\n    return np.sqrt(q)\n`);
    assert.equal(check(outside.checks, 'uses-sqrt').passed, false);
  });

  it('a failing task check alone still gives a program; the analyser never runs the code', async () => {
    const { ok, checks } = await prepared(ORIGINAL.replace('import numpy as np\n', 'import numpy as np\nwhile True:\n    pass\n'));
    assert.ok(ok);
    assert.equal(check(checks, 'uses-sqrt').passed, false);
  });

  it("reads the code in the grade's own child, which the program is then loaded into; a refused program's child is disposed of", async () => {
    const taken: Sandbox[] = [];
    const child = async (o: SandboxOptions): Promise<Sandbox> => {
      const s = await pythonRuntime.startChild(o);
      taken.push(s);
      return s;
    };
    const r = await pythonRuntime.prepare({
      files: new Map([['dropout.py', { submitted: FIXED, original: ORIGINAL }]]),
      subject: { file: 'dropout.py', export: 'VarianceStabilizedDropout' },
      checks: [{ check: 'uses-sqrt' }],
      limits: LIMITS,
      child,
    });
    assert.ok(r.ok);
    assert.equal(taken.length, 1);
    assert.equal(r.child, taken[0]);
    assert.ok(r.child?.alive);
    const held = r.child;
    const started = await pythonRuntime.start(r.program, { limits: LIMITS, randomSeed: 1, child: () => Promise.resolve(held) });
    assert.ok(started.ok);
    assert.equal(taken.length, 1, 'no second child');
    assert.ok(started.subject.exports.includes('VarianceStabilizedDropout'));
    // Loaded: the child may run the submission's code now, and is asked for no more facts.
    await assert.rejects(held.analyze(new Map([['a.py', 'x = 1\n']]), 5000, 1 << 20), /after load/);
    await started.subject.dispose();

    const refused = await pythonRuntime.prepare({
      files: new Map([['dropout.py', { submitted: 'def (:\n', original: ORIGINAL }]]),
      subject: { file: 'dropout.py', export: 'VarianceStabilizedDropout' },
      checks: [],
      limits: LIMITS,
      child,
    });
    assert.equal(refused.ok, false);
    assert.equal(taken.length, 2);
    await taken[1]!.finished;
    assert.equal(taken[1]!.alive, false);
  });

  it('classMembers: methods and the attributes they assign on self; undefined for a class with bases', async () => {
    assert.deepEqual([...((await pythonRuntime.classMembers(ORIGINAL, 'dropout.py', 'VarianceStabilizedDropout')) ?? [])].sort(), ['__call__', '__init__', 'dropout_rate', 'eval', 'train', 'training']);
    assert.equal(await pythonRuntime.classMembers('class A(B):\n    pass\n', 'a.py', 'A'), undefined);
    assert.equal(await pythonRuntime.classMembers(ORIGINAL, 'dropout.py', 'Nope'), undefined);
  });
});
