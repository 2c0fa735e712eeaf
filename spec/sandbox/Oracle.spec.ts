import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Oracle } from '../../src/sandbox/Oracle.ts';
import type { OracleReply } from '../../src/sandbox/protocol.ts';
import { Sandbox } from '../../src/sandbox/Sandbox.ts';
import { transpileModule } from '../../src/runtime/typescript/transpile.ts';

// The oracle's batches: requests run in order in one round trip, with arrays read straight into the
// submission's realm. Each argument must still be a fresh array holding what the parent sent.

const SOURCE = `
export function doubleInPlace(x: Float64Array) { for (let i = 0; i < x.length; i++) x[i] *= 2; return x[0]; }
export function same(a: Float64Array, b: Float64Array) { return a === b; }
let kept: Float64Array | null = null;
export function keep(x: Float64Array) { kept = x; return x.length; }
export function scribble() { if (kept) kept[0] = -1; return 0; }
export class Counter { n = 0; add(k: number) { this.n += k; return this.n; } }
export function filled(n: number, v: number) { return new Float64Array(n).fill(v); }
`;

describe('Oracle.run (batches)', () => {
  let sandbox: Sandbox;
  let oracle: Oracle;
  before(async () => {
    const compiled = transpileModule(SOURCE, 'm.ts');
    if (!compiled.ok) throw new Error(compiled.message);
    sandbox = await Sandbox.start({ memoryMb: 256, outputBytes: 4096, cpuSeconds: 30 });
    const loaded = await sandbox.load(compiled.code, 'm.ts', 1, 10_000);
    assert.ok(loaded.ok);
    oracle = new Oracle(sandbox, performance.now() + 60_000);
  });
  after(() => sandbox.dispose());

  it('gives every use of one parent array a fresh copy of what was sent, even after a call wrote into its own', async () => {
    const x = new Float64Array([1, 2, 3]);
    const call = { op: 'callExport', target: 'doubleInPlace', args: [x], echoArgs: true } as const;
    const replies = await oracle.run([call, call, { op: 'callExport', target: 'same', args: [x, x], echoArgs: false }], 'three calls');
    for (const r of replies.slice(0, 2)) {
      assert.ok(r.ok);
      assert.deepEqual(r.value, { type: 'number', value: 2 });
      const echoed = r.args?.[0];
      assert.ok(echoed?.type === 'typed');
      assert.deepEqual([...echoed.value], [2, 4, 6]);
    }
    assert.deepEqual(replies[2], { ok: true, value: { type: 'boolean', value: false } });
    assert.deepEqual([...x], [1, 2, 3]);
  });

  it('an array the submission kept from an earlier call does not reach a later argument', async () => {
    const a = new Float64Array([5, 6]);
    const b = new Float64Array([7, 8]);
    const replies = await oracle.run(
      [
        { op: 'callExport', target: 'keep', args: [a], echoArgs: false },
        { op: 'callExport', target: 'scribble', args: [], echoArgs: false },
        { op: 'callExport', target: 'doubleInPlace', args: [b], echoArgs: true },
      ],
      'keep, scribble, double',
    );
    const echoed = replies[2]?.ok === true ? replies[2].args?.[0] : undefined;
    assert.ok(echoed?.type === 'typed');
    assert.deepEqual([...echoed.value], [14, 16]);
  });

  it('handles chosen by the parent work within the batch that creates them, and cannot be reused', async () => {
    const { request, handle } = oracle.constructRequest('Counter', []);
    const add = (k: number) => ({ op: 'call', handle, method: 'add', args: [k], echoArgs: false }) as const;
    const replies = await oracle.run([request, add(2), add(3), request], 'counter');
    assert.deepEqual(replies.slice(0, 3).map((r) => (r.ok ? r.value : r.thrown)), [
      { type: 'object', className: 'Counter' },
      { type: 'number', value: 2 },
      { type: 'number', value: 5 },
    ]);
    assert.deepEqual(replies[3], { ok: false, thrown: { name: 'ReferenceError', message: 'handle already in use' } });
    assert.equal(oracle.roundTrips, 3);
  });

  it('a kept array passed with a value is overwritten first (same object), and only a kept array of that length', async () => {
    const { request: keep, handle } = oracle.keepRequest(new Float64Array([1, 2]));
    const { request: make, handle: counter } = oracle.constructRequest('Counter', []);
    const replies = await oracle.run(
      [
        keep,
        make,
        { op: 'callExport', target: 'keep', args: [{ kept: handle }], echoArgs: false },
        { op: 'callExport', target: 'doubleInPlace', args: [{ kept: handle, value: new Float64Array([10, 20]) }], echoArgs: true },
        // The object the submission kept is the very array that was overwritten and doubled.
        { op: 'callExport', target: 'scribble', args: [], echoArgs: false },
        { op: 'callExport', target: 'doubleInPlace', args: [{ kept: handle }], echoArgs: true },
        { op: 'callExport', target: 'doubleInPlace', args: [{ kept: handle, value: new Float64Array(3) }], echoArgs: false },
        { op: 'callExport', target: 'doubleInPlace', args: [{ kept: counter, value: new Float64Array(2) }], echoArgs: false },
      ],
      'kept with values',
    );
    const echo = (r: (typeof replies)[number] | undefined): number[] => (r?.ok === true && r.args?.[0]?.type === 'typed' ? [...r.args[0].value] : []);
    assert.deepEqual(echo(replies[3]), [20, 40]);
    assert.deepEqual(echo(replies[5]), [-2, 80]);
    for (const r of replies.slice(6)) assert.deepEqual(r, { ok: false, thrown: { name: 'RangeError', message: 'kept: not a kept array of that length' } });
  });
});

// Large replies the caller is done with when its callback returns are received into memory that is reused, not
// fresh (src/sandbox/_framePool.ts): a reply of 2 MB here, above the size where that starts.
describe('Oracle.runLeased (replies in reused memory)', () => {
  const N = 250_000;
  let sandbox: Sandbox;
  let oracle: Oracle;
  const fill = (v: number) => ({ op: 'callExport', target: 'filled', args: [N, v], echoArgs: false }) as const;
  const arrayOf = (r: OracleReply | undefined): Float64Array => {
    assert.ok(r?.ok === true && r.value.type === 'typed');
    return r.value.value;
  };
  before(async () => {
    const compiled = transpileModule(SOURCE, 'm.ts');
    if (!compiled.ok) throw new Error(compiled.message);
    sandbox = await Sandbox.start({ memoryMb: 256, outputBytes: 4096, cpuSeconds: 30 });
    assert.ok((await sandbox.load(compiled.code, 'm.ts', 1, 10_000)).ok);
    oracle = new Oracle(sandbox, performance.now() + 60_000);
  });
  after(() => sandbox.dispose());

  it("returns what the callback returns, from the same replies `run` gets", async () => {
    const sum = await oracle.runLeased([fill(3), fill(-0.5)], 'two fills', (replies) => replies.map((r) => arrayOf(r).reduce((a, b) => a + b, 0)));
    assert.deepEqual(sum, [3 * N, -0.5 * N]);
    const plain = await oracle.run([fill(3)], 'one fill');
    assert.equal(arrayOf(plain[0]).length, N);
  });

  it('a reply from `run` is never overwritten by later leased replies, while a leased reply kept past its callback is', async () => {
    const kept = arrayOf((await oracle.run([fill(7)], 'kept'))[0]);
    let leaked: Float64Array | undefined;
    await oracle.runLeased([fill(1)], 'first', (replies) => void (leaked = arrayOf(replies[0])));
    for (let v = 2; v <= 4; v++) await oracle.runLeased([fill(v)], `fill ${v}`, (replies) => assert.equal(arrayOf(replies[0])[N - 1], v));
    assert.ok(kept.every((x) => x === 7));
    // Breaking the contract shows what it protects: the memory went to the later replies.
    assert.equal(leaked?.[0], 4);
  });

  it('gives the memory back when the callback throws, and refuses a callback that returns a promise', async () => {
    let leaked: Float64Array | undefined;
    await assert.rejects(
      oracle.runLeased([fill(5)], 'throws', (replies) => {
        leaked = arrayOf(replies[0]);
        throw new Error('checked and failed');
      }),
      /checked and failed/,
    );
    await assert.rejects(oracle.runLeased([fill(6)], 'async', async () => 1), /must return a value, not a promise/);
    await oracle.runLeased([fill(8)], 'after', () => undefined);
    assert.equal(leaked?.[0], 8);
  });
});
