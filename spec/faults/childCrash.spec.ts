/**
 * The child dying mid-protocol — killed from outside while a grade is running, or while a request is pending —
 * ends in a clear `failed` (the submission's process ended; a child only runs the submission and the harness)
 * and never in a hang, an exception out of gradeWorkspace or a child left behind.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { gradeWorkspace, sandboxOptions } from '../../src/grading/gradeWorkspace.ts';
import { Oracle } from '../../src/sandbox/Oracle.ts';
import { Sandbox } from '../../src/sandbox/Sandbox.ts';
import { SubmissionFault } from '../../src/errors.ts';
import { transpileModule } from '../../src/runtime/typescript/transpile.ts';
import { hostileTask, Scratch, settledProcesses, sources } from '../hostile/_support.ts';

let scratch: Scratch;

before(async () => {
  scratch = await Scratch.create('child-crash');
});

after(async () => {
  const leftover = await settledProcesses(scratch.marker);
  const gone = await scratch.cleanup();
  assert.deepEqual(leftover, []);
  assert.ok(gone);
});

function killGroup(s: Sandbox): void {
  assert.ok(s.pid !== undefined);
  process.kill(-s.pid, 'SIGKILL');
}

it('a child killed while the properties run: status failed, naming the ended process; the next grade works', async () => {
  const spec = await hostileTask();
  const { fix } = await sources();
  const ws = await scratch.workspace(spec, 'fix', new Map([['dropout.ts', fix]]));
  let killed = false;
  const r = await gradeWorkspace(spec, ws, {
    startSandbox: async (options) => {
      const s = await Sandbox.start(options);
      setTimeout(() => {
        killed = true;
        killGroup(s);
      }, 100);
      return s;
    },
  });
  assert.ok(killed);
  assert.equal(r.status, 'failed', r.feedback);
  assert.match(r.feedback, /process ended/);
  assert.equal(r.error, undefined);
  const again = await gradeWorkspace(spec, ws);
  assert.equal(again.status, 'passed', again.feedback);
});

it('a pending request rejects with SubmissionFault(exited) when the child dies; later requests fail fast; dispose is idempotent', async () => {
  const spec = await hostileTask();
  const { fix } = await sources();
  const compiled = transpileModule(fix, 'dropout.ts');
  assert.ok(compiled.ok);
  const s = await Sandbox.start(sandboxOptions(spec));
  try {
    const loaded = await s.load(compiled.code, 'dropout.ts', 1, 5000);
    assert.ok(loaded.ok);
    const oracle = new Oracle(s, performance.now() + 30_000);
    const c = await oracle.construct('VarianceStabilizedDropout', [0.5, { rng: 1 }]);
    assert.ok(c.ok);
    const pending = oracle.call(c.handle, 'forward', [new Float64Array(5_000_000)]);
    killGroup(s);
    await assert.rejects(pending, (e: unknown) => e instanceof SubmissionFault && e.reason === 'exited');
    await assert.rejects(oracle.call(c.handle, 'forward', [new Float64Array(1)]), (e: unknown) => e instanceof SubmissionFault);
  } finally {
    await s.dispose();
    await s.dispose();
  }
  assert.equal(typeof s.output, 'string');
});
