import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Oracle } from '../../src/sandbox/Oracle.ts';
import { killAllSandboxes, Sandbox, type SandboxOptions } from '../../src/sandbox/Sandbox.ts';
import { SandboxPool } from '../../src/sandbox/SandboxPool.ts';
import { isRunning, processTree, survivors } from './_processes.ts';

const OPTIONS: SandboxOptions = { memoryMb: 256, outputBytes: 4096, cpuSeconds: 20 };

/** A pool whose children are all recorded (with their process trees), so the test can check they are gone. */
function recordingPool(size: number, limit?: number): { pool: SandboxPool; started: Sandbox[]; pids: () => number[] } {
  const started: Sandbox[] = [];
  const trees = new Map<Sandbox, number[]>();
  const pool = new SandboxPool(OPTIONS, {
    size,
    ...(limit === undefined ? {} : { limit }),
    start: async (o) => {
      const s = await Sandbox.start(o);
      started.push(s);
      trees.set(s, processTree(s.pid!));
      return s;
    },
  });
  return { pool, started, pids: () => [...trees.values()].flat() };
}

/** The child answers requests: load a module and call it. */
async function works(s: Sandbox, value: number): Promise<void> {
  const loaded = await s.load(`exports.f = (x) => x * 2;`, 'f.js', 1, 10_000);
  assert.deepEqual(loaded, { ok: true, exports: ['f'] });
  const reply = await new Oracle(s, performance.now() + 10_000).callExport('f', [value]);
  assert.deepEqual(reply, { ok: true, value: { type: 'number', value: value * 2 } });
}

after(() => killAllSandboxes());

describe('SandboxPool', () => {
  it('hands out distinct, ready, working children and never the same one twice', async () => {
    const { pool } = recordingPool(2);
    const seen = new Set<number>();
    try {
      for (let i = 0; i < 5; i++) {
        const s = await pool.take();
        assert.equal(s.alive, true);
        assert.ok(s.pid !== undefined && !seen.has(s.pid), `child ${s.pid} was handed out before`);
        seen.add(s.pid);
        await works(s, i);
        await s.dispose();
      }
    } finally {
      await pool.close();
    }
    assert.equal(seen.size, 5);
  });

  it('starts a replacement for every child taken, and stops pre-starting at its limit', async () => {
    const { pool } = recordingPool(2, 3);
    try {
      assert.equal(pool.started, 2);
      assert.equal(pool.idle, 2);
      const a = await pool.take();
      assert.equal(pool.started, 3, 'taking one starts its replacement');
      assert.equal(pool.idle, 2);
      const b = await pool.take();
      assert.equal(pool.started, 3, 'no child beyond the limit is started ahead of demand');
      assert.equal(pool.idle, 1);
      const c = await pool.take();
      assert.equal(pool.idle, 0);
      const d = await pool.take(); // on demand, past the limit
      assert.equal(pool.started, 4);
      assert.equal(new Set([a.pid, b.pid, c.pid, d.pid]).size, 4);
      await Promise.all([a, b, c, d].map((s) => works(s, 3)));
      await Promise.all([a, b, c, d].map((s) => s.dispose()));
    } finally {
      await pool.close();
    }
  });

  it('forgo() lowers the limit, so that no child is pre-started for a submission that will not need one', async () => {
    const { pool } = recordingPool(2, 4);
    try {
      assert.equal(pool.started, 2);
      pool.forgo();
      pool.forgo(); // two of the four submissions were decided without a sandbox: a limit of 2, both started
      const a = await pool.take();
      const b = await pool.take();
      assert.equal(pool.started, 2, 'no replacement beyond the lowered limit');
      assert.equal(pool.idle, 0);
      await Promise.all([a, b].map((s) => works(s, 5)));
      await Promise.all([a, b].map((s) => s.dispose()));
      pool.forgo();
      pool.forgo();
      pool.forgo(); // below zero stays zero: take() still starts one on demand
      const c = await pool.take();
      assert.equal(pool.started, 3);
      await c.dispose();
    } finally {
      await pool.close();
    }
  });

  it('skips a child that died while it was idle', async () => {
    const { pool, started } = recordingPool(1);
    try {
      const first = await pool.take(); // waits for the first child; the replacement starts now
      await first.dispose();
      while (started.length < 2) await new Promise((r) => setTimeout(r, 10));
      const idle = started[1]!;
      process.kill(-idle.pid!, 'SIGKILL');
      await idle.finished;
      const next = await pool.take();
      assert.notEqual(next.pid, idle.pid);
      assert.equal(next.alive, true);
      await works(next, 7);
      await next.dispose();
    } finally {
      await pool.close();
    }
  });

  it('leaves no process behind when closed', async () => {
    const { pool, pids } = recordingPool(3);
    const taken = await pool.take();
    await taken.dispose();
    await pool.take().then((s) => s.dispose());
    await pool.close();
    assert.ok(pids().length >= 3);
    assert.deepEqual(await survivors(pids()), []);
    await assert.rejects(pool.take(), /closed/);
  });

  it('stops starting children and kills every one on killAllSandboxes()', async () => {
    const { pool, started, pids } = recordingPool(2);
    const taken = await pool.take();
    assert.equal(taken.alive, true);
    while (started.length < 3) await new Promise((r) => setTimeout(r, 10));
    killAllSandboxes();
    assert.equal(pool.closed, true);
    await assert.rejects(pool.take(), /closed/);
    assert.deepEqual(await survivors(pids()), []);
    assert.equal(pool.started, 3, 'nothing was started after the kill');
    assert.equal(isRunning(taken.pid!), false);
    await pool.close();
  });
});
