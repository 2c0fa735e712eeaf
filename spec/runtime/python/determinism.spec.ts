import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pythonLauncher } from '../../../src/runtime/python/pythonZygote.ts';
import { Oracle } from '../../../src/sandbox/Oracle.ts';
import type { OracleReply, Request } from '../../../src/sandbox/protocol.ts';
import { Sandbox } from '../../../src/sandbox/Sandbox.ts';

// Every construct seeds numpy's legacy generator, unseeded Generators and `random` from the grade's seed and a
// counter: the same submission and seed draw the same numbers, whatever the input holds.

const SOURCE = `
import numpy as np
import random

class Draws:
    def __init__(self, how="legacy"):
        self.how = how

    def __call__(self, x):
        if self.how == "legacy":
            return np.random.binomial(1, 0.5, size=x.shape) * 1.0
        if self.how == "default_rng":
            return np.random.default_rng().random(x.shape)
        if self.how == "generator":
            return np.random.Generator(np.random.PCG64()).random(x.shape)
        if self.how == "random_state":
            return np.random.RandomState().rand(*x.shape)
        if self.how == "reseed_none":
            np.random.seed()
            return np.random.rand(*x.shape)
        if self.how == "random":
            return np.array([random.random() for _ in range(x.size)]).reshape(x.shape)
        raise ValueError(self.how)
`;

const HOWS = ['legacy', 'default_rng', 'generator', 'random_state', 'reseed_none', 'random'] as const;

async function draws(seed: number, input: Float64Array, reseed?: number): Promise<Float64Array[]> {
  const sandbox = await Sandbox.start({ memoryMb: 256, outputBytes: 65_536, cpuSeconds: 30 }, pythonLauncher);
  try {
    const loaded = await sandbox.load(JSON.stringify({ files: { 'draws.py': SOURCE }, entry: 'draws.py' }), 'draws.py', seed, 30_000);
    assert.ok(loaded.ok);
    const oracle = new Oracle(sandbox, performance.now() + 60_000);
    const requests: Request[] = reseed === undefined ? [] : [{ op: 'reseed', seed: reseed }];
    for (const how of HOWS) {
      const { request, handle } = oracle.constructRequest('Draws', [how]);
      requests.push(request, { op: 'call', handle, method: '__call__', args: [input], echoArgs: false });
    }
    const replies = await oracle.run(requests, 'draws');
    return replies.filter((_, i) => i % 2 === (reseed === undefined ? 1 : 0) && i > 0).map((r: OracleReply) => {
      assert.ok(r.ok && r.value.type === 'typed', JSON.stringify(r));
      return r.value.value;
    });
  } finally {
    await sandbox.dispose();
  }
}

describe('determinism of the Python child', () => {
  it('the same seed draws the same numbers from every source; another seed, other numbers; the input does not matter', async () => {
    const x = new Float64Array(64).fill(1);
    const y = Float64Array.from({ length: 64 }, (_, i) => i - 31.5);
    const [a, b, c, d] = await Promise.all([draws(7, x), draws(7, y), draws(8, x), draws(7, x, 99)]);
    assert.equal(a.length, HOWS.length);
    HOWS.forEach((how, i) => {
      assert.deepEqual(a[i], b[i], `${how}: same seed, another input`);
      assert.notDeepEqual(a[i], c[i], `${how}: another seed`);
      assert.notDeepEqual(a[i], d[i], `${how}: reseeded`);
    });
  });

  it('each construct has a stream of its own: two objects built in turn draw different masks', async () => {
    const sandbox = await Sandbox.start({ memoryMb: 256, outputBytes: 65_536, cpuSeconds: 30 }, pythonLauncher);
    try {
      assert.ok((await sandbox.load(JSON.stringify({ files: { 'draws.py': SOURCE }, entry: 'draws.py' }), 'draws.py', 3, 30_000)).ok);
      const oracle = new Oracle(sandbox, performance.now() + 60_000);
      const x = new Float64Array(128).fill(1);
      const one = oracle.constructRequest('Draws', ['legacy']);
      const two = oracle.constructRequest('Draws', ['legacy']);
      const replies = await oracle.run(
        [one.request, two.request, { op: 'call', handle: one.handle, method: '__call__', args: [x], echoArgs: false }, { op: 'call', handle: two.handle, method: '__call__', args: [x], echoArgs: false }],
        'two',
      );
      const [m1, m2] = replies.slice(2).map((r) => (r.ok && r.value.type === 'typed' ? r.value.value : null));
      assert.ok(m1 !== null && m1 !== undefined && m2 !== null && m2 !== undefined);
      assert.notDeepEqual(m1, m2);
    } finally {
      await sandbox.dispose();
    }
  });
});
