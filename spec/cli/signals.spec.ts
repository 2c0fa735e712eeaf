/**
 * SIGINT/SIGTERM always end the CLI: the first aborts the verb's work, and a verb that does not stop within the
 * grace period is ended with exit 130 anyway; a second signal ends it at once. (A batch `grade` that stops
 * cleanly on the first signal is spec/faults/signals.spec.ts.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanupTmp, DROPOUT_YAML, tmp } from '../_helpers.ts';
import { spawnCli, until } from './_spawnCli.ts';

after(cleanupTmp);

/** `check` with a huge --regrade: the self-test does not watch for the abort, so only the grace period ends it. */
function busyCheck(): ReturnType<typeof spawnCli> {
  return spawnCli(['check', DROPOUT_YAML, '--regrade', '1000000'], 120_000);
}

/** Whether a thread of `pid` waits in the kernel for a FIFO's other end (Linux: fs/pipe.c, wait_for_partner). */
async function waitsOnFifo(pid: number): Promise<boolean> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    const wchans = await Promise.all(tasks.map((t) => readFile(`/proc/${pid}/task/${t}/wchan`, 'utf8').catch(() => '')));
    return wchans.some((w) => w.includes('wait_for_partner'));
  } catch {
    return false;
  }
}

describe('signals', { skip: process.platform !== 'linux' }, () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`one ${signal} ends a verb that does not stop by itself: exit 130 with a message`, async () => {
      const cli = busyCheck();
      assert.ok(await until(() => /valid —/.test(cli.output().stdout)), `the check never started: ${cli.output().stderr}`);
      cli.kill(signal);
      const r = await cli.exited;
      assert.equal(r.timedOut, false, 'still running long after the signal');
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /^rltask(: interrupted; still busy 2 s after the signal, exiting anyway| check: interrupted)$/m);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    });
  }

  it('a second signal ends it at once, by the signal itself (no waiting for the grace period)', async () => {
    const cli = busyCheck();
    assert.ok(await until(() => /valid —/.test(cli.output().stdout)), `the check never started: ${cli.output().stderr}`);
    cli.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    cli.kill('SIGTERM');
    const r = await cli.exited;
    assert.equal(r.timedOut, false);
    assert.equal(r.signal, 'SIGTERM', `exit ${r.code}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /exiting anyway/);
  });

  it('a verb stuck in a system call (reading a FIFO nobody writes to) still ends: exit 130, or the next signal', async () => {
    const fifo = path.join(await tmp(), 'task.yaml');
    execFileSync('mkfifo', [fifo]);
    const cli = spawnCli(['check', fifo], 120_000);
    assert.ok(await until(() => waitsOnFifo(cli.pid)), 'the CLI never opened the FIFO');
    cli.kill('SIGTERM');
    // Node's exit waits for its worker threads, and the one opening the FIFO never returns: the grace period's
    // exit can hang there, and then the next signal, whose default action is back, ends the process.
    assert.ok(await until(() => /exiting anyway/.test(cli.output().stderr), 60_000), cli.output().stderr);
    cli.kill('SIGTERM');
    const r = await cli.exited;
    assert.equal(r.timedOut, false);
    assert.ok(r.code === 130 || r.signal === 'SIGTERM', `code ${r.code}, signal ${r.signal}`);
  });
});
