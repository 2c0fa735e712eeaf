import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SubmissionFault } from '../../src/errors.ts';
import { Oracle } from '../../src/sandbox/Oracle.ts';
import { Sandbox } from '../../src/sandbox/Sandbox.ts';
import { transpileModule } from '../../src/runtime/typescript/transpile.ts';

// What a child reports about its own end must not depend on the clock or the machine's load: the same
// submission and seed give the same grade, byte for byte.

async function started(source: string, memoryMb = 64): Promise<Sandbox> {
  const compiled = transpileModule(source, 'm.ts');
  if (!compiled.ok) throw new Error(compiled.message);
  const sandbox = await Sandbox.start({ memoryMb, outputBytes: 65_536, cpuSeconds: 30 });
  const loaded = await sandbox.load(compiled.code, 'm.ts', 1, 10_000);
  assert.ok(loaded.ok);
  return sandbox;
}

describe('Sandbox', () => {
  it("out of memory: the output keeps V8's one-line reason, not its report (timestamps, addresses, a native stack)", async () => {
    const sandbox = await started('export function grow() { console.log("before"); const a: number[][] = []; for (;;) a.push(new Array(1e5).fill(1)); }');
    try {
      await assert.rejects(new Oracle(sandbox, performance.now() + 30_000).run([{ op: 'callExport', target: 'grow', args: [], echoArgs: false }], 'grow()'), SubmissionFault);
    } finally {
      await sandbox.dispose();
    }
    assert.match(sandbox.output, /before/);
    assert.match(sandbox.output, /FATAL ERROR: JavaScript heap out of memory \[V8's report omitted\]\n$/);
    assert.doesNotMatch(sandbox.output, /Last few GCs|Native stack|0x[0-9a-f]{6}/);
  });

  it('a timeout names no figure from the clock', async () => {
    const sandbox = await started('export function spin() { for (;;); }');
    try {
      const oracle = new Oracle(sandbox, performance.now() + 300);
      await assert.rejects(oracle.run([{ op: 'callExport', target: 'spin', args: [], echoArgs: false }], 'spin()'), {
        name: 'SubmissionFault',
        message: "spin() did not return within the time limit (the grade's share of the task's time budget that was left)",
      });
    } finally {
      await sandbox.dispose();
    }
  });
});
