import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shapeAndPurity } from '../../../properties/shapeAndPurity.ts';
import { SubmissionFault } from '../../../src/errors.ts';
import { markImmutable } from '../../../src/immutableArrays.ts';
import { pythonLauncher } from '../../../src/runtime/python/pythonZygote.ts';
import { pythonRuntime } from '../../../src/runtime/python/pythonRuntime.ts';
import type { Subject } from '../../../src/runtime/Runtime.ts';
import { InputFile } from '../../../src/sandbox/_inputFile.ts';
import { Oracle } from '../../../src/sandbox/Oracle.ts';
import type { OracleReply } from '../../../src/sandbox/protocol.ts';
import { Sandbox } from '../../../src/sandbox/Sandbox.ts';

// n-dimensional float64 arrays through the framed protocol: shape + raw little-endian bytes both ways; the parent
// checks every reply's dtype and shape, and an array of the wrong dtype or shape is the submission's failure.

const LIMITS = { timeMs: 60_000, memoryMb: 512, outputBytes: 65_536 };

async function loaded(source: string): Promise<Subject> {
  const compiled = await pythonRuntime.compile(source, 'm.py');
  assert.ok(compiled.ok);
  const started = await pythonRuntime.start(compiled.program, { limits: LIMITS, randomSeed: 5 });
  if (!started.ok) {
    await started.child.dispose();
    assert.fail(`${started.thrown.name}: ${started.thrown.message}`);
  }
  return started.subject;
}

const SOURCE = `
import numpy as np

def same(x):
    return x

def doubled(x):
    return x * 2.0

def as_float32(x):
    return x.astype(np.float32)

def as_int(x):
    return x.astype(np.int64)

def transposed(x):
    return x.T

def scalar(x):
    return np.float64(x.sum())

def bump(x):
    x += 1.0
    return float(x.sum())

def shape_of(x):
    return list(x.shape)

class Layer:
    def __init__(self, dropout_rate=0.5, kind="float32"):
        self.kind = kind

    def __call__(self, x):
        if self.kind == "float32":
            return x.astype(np.float32)
        return x.reshape(-1, 1).copy()
`;

describe('n-dimensional arrays in the protocol (Python child)', () => {
  it('an nd argument arrives with its shape and values, and comes back with them, bit for bit', async () => {
    const subject = await loaded(SOURCE);
    try {
      const value = Float64Array.from([1, -0, Number.NaN, Number.POSITIVE_INFINITY, 5e-324, 6]);
      const r = await subject.oracle.callExport('same', [{ shape: [2, 3], value }]);
      assert.ok(r.ok && r.value.type === 'typed');
      assert.equal(r.value.kind, 'Float64Array');
      assert.deepEqual(r.value.shape, [2, 3]);
      assert.deepEqual([...r.value.value].map((v) => Object.is(v, -0) ? '-0' : String(v)), ['1', '-0', 'NaN', 'Infinity', '5e-324', '6']);
      const t = await subject.oracle.callExport('transposed', [{ shape: [2, 3], value }]);
      assert.ok(t.ok && t.value.type === 'typed');
      assert.deepEqual(t.value.shape, [3, 2]);
      assert.deepEqual([...t.value.value].slice(0, 2), [1, Number.POSITIVE_INFINITY]);
      const s = await subject.oracle.callExport('shape_of', [{ shape: [4, 0, 2], value: new Float64Array(0) }]);
      assert.ok(s.ok && s.value.type === 'array');
      assert.deepEqual(s.value.items, [{ type: 'number', value: 4 }, { type: 'number', value: 0 }, { type: 'number', value: 2 }]);
      const flat = await subject.oracle.callExport('doubled', [Float64Array.from([1, 2])]);
      assert.ok(flat.ok && flat.value.type === 'typed');
      assert.deepEqual(flat.value.shape, [2]);
      assert.deepEqual([...flat.value.value], [2, 4]);
      const sc = await subject.oracle.callExport('scalar', [Float64Array.from([1, 2])]);
      assert.deepEqual(sc, { ok: true, value: { type: 'number', value: 3 } });
    } finally {
      await subject.dispose();
    }
  });

  it('callEach: many calls in one request, each with a fresh 1-d array; a wrong reply stops the run and says what it was', async () => {
    const subject = await loaded(SOURCE);
    try {
      const inputs = Float64Array.from([1, 2, 3, 4, 5, 6]);
      const [r] = await subject.oracle.run([{ op: 'callEach', handle: null, method: 'doubled', args: [null], arg: 0, returns: 'array', inputs, length: 2, count: 3 }], 'callEach');
      assert.ok(r !== undefined && r.ok && r.value.type === 'array');
      const [outputs, after] = r.value.items;
      assert.ok(outputs?.type === 'typed' && after?.type === 'typed');
      assert.deepEqual([...outputs.value], [2, 4, 6, 8, 10, 12]);
      assert.deepEqual([...after.value], [1, 2, 3, 4, 5, 6]);
      const [s] = await subject.oracle.run([{ op: 'callEach', handle: null, method: 'as_float32', args: [null], arg: 0, returns: 'array', inputs, length: 2, count: 3 }], 'callEach');
      assert.ok(s !== undefined && s.ok && s.value.type === 'array');
      assert.equal(s.value.items.length, 3);
      const stop = s.value.items[2];
      assert.ok(stop?.type === 'array');
      assert.deepEqual(stop.items[0], { type: 'string', value: 'returned' });
      assert.equal(stop.items[1]?.type === 'typed' ? stop.items[1].kind : undefined, 'ndarray[float32]');
    } finally {
      await subject.dispose();
    }
  });

  it('keep: a kept array is the same object from call to call, updated in place, and overwritten by a keep with a value', async () => {
    const subject = await loaded(SOURCE);
    try {
      const { request, handle } = subject.oracle.keepRequest(Float64Array.from([0, 0]));
      const replies = await subject.oracle.run(
        [
          request,
          { op: 'callExport', target: 'bump', args: [{ kept: handle }], echoArgs: false },
          { op: 'callExport', target: 'bump', args: [{ kept: handle }], echoArgs: false },
          { op: 'callExport', target: 'bump', args: [{ kept: handle, value: Float64Array.from([10, 20]) }], echoArgs: false },
        ],
        'keep',
      );
      assert.deepEqual(replies.slice(1).map((r) => (r.ok && r.value.type === 'number' ? r.value.value : null)), [2, 4, 32]);
    } finally {
      await subject.dispose();
    }
  });

  it('another dtype is reported as such (its values converted), never as float64', async () => {
    const subject = await loaded(SOURCE);
    try {
      const f32 = await subject.oracle.callExport('as_float32', [Float64Array.from([0.1, 2])]);
      assert.ok(f32.ok && f32.value.type === 'typed');
      assert.equal(f32.value.kind, 'ndarray[float32]');
      assert.equal(f32.value.value[0], Math.fround(0.1));
      const i64 = await subject.oracle.callExport('as_int', [Float64Array.from([1.5, -2])]);
      assert.ok(i64.ok && i64.value.type === 'typed');
      assert.equal(i64.value.kind, 'ndarray[int64]');
      assert.deepEqual([...i64.value.value], [1, -2]);
    } finally {
      await subject.dispose();
    }
  });

  it('a reply of the wrong dtype or shape fails the property (a verdict), not the grade', async () => {
    for (const [kind, message] of [
      ['float32', /__call__\(\) returned a ndarray\[float32\] of shape \(\d+,\), not a Float64Array/],
      ['column', /__call__\(\) returned an array of shape \(\d+, 1\) for an input of shape \(\d+,\)/],
    ] as const) {
      const subject = await loaded(SOURCE.replace('kind="float32"', `kind="${kind}"`));
      try {
        const property = shapeAndPurity.bind({ use: 'shape-and-purity', method: '__call__', rng: 'global', runs: 2 });
        const outcome = await property.run({ oracle: subject.oracle, subject: 'Layer', seed: 9 });
        assert.equal(outcome.passed, false);
        assert.match(outcome.message, message);
      } finally {
        await subject.dispose();
      }
    }
  });

  it('a reply whose shape does not match its length is a protocol fault (the submission forged it)', async () => {
    // Code that reaches the harness's own sender (the static policy refuses this; the parent must not rely on it).
    const forger = `
import sys
import numpy as np
_h = sys.modules["__main__"]

def forge():
    _h.send({"kind": "replies", "id": 1, "replies": [{"ok": True, "value": {"type": "typed", "kind": "Float64Array", "value": _h.Blob(np.zeros(3)), "arg": -1, "shape": [5]}}]})
    return 0
`;
    const subject = await loaded(forger);
    try {
      await assert.rejects(subject.oracle.callExport('forge', []), (e: unknown) => e instanceof SubmissionFault && /malformed/.test(e.message));
    } finally {
      await subject.dispose();
    }
  });
  it('a result is read as the data it holds: a subclass of ndarray, float or int cannot show the grader other values', async () => {
    const subject = await loaded(`
import numpy as np

class Lying(np.ndarray):
    def astype(self, *a, **k):
        return np.zeros(self.shape)

    def reshape(self, *a, **k):
        return np.zeros(self.size)

    @property
    def dtype(self):
        return np.dtype('float32')

class LyingFloat(float):
    def __float__(self):
        return 0.0

class LyingInt(int):
    def __float__(self):
        return 0.0

def lying_array(x):
    return (x * 3.0).view(Lying)

def lying_float(x):
    return LyingFloat(7.5)

def lying_int(x):
    return LyingInt(9)
`);
    try {
      const arg = { shape: [2, 2], value: Float64Array.from([1, 2, 3, 4]) };
      const r = await subject.oracle.callExport('lying_array', [arg]);
      assert.ok(r.ok && r.value.type === 'typed');
      assert.equal(r.value.kind, 'Float64Array');
      assert.deepEqual([...r.value.value], [3, 6, 9, 12]);
      assert.deepEqual(r.value.shape, [2, 2]);
      const f = await subject.oracle.callExport('lying_float', [arg]);
      assert.deepEqual(f.ok && f.value, { type: 'number', value: 7.5 });
      const i = await subject.oracle.callExport('lying_int', [arg]);
      assert.deepEqual(i.ok && i.value, { type: 'number', value: 9 });
    } finally {
      await subject.dispose();
    }
  });
});

describe('inputs from a batch input file (Python child)', () => {
  // An input read from the input file and used once in a message goes to the submission without a copy; used
  // twice, each use gets its own copy, so that a call writing into its input changes nothing another call sees.
  const FILE_SOURCE = `
import numpy as np

def bump(x):
    x += 1.0
    return float(x.sum())

def total(x):
    return float(x.sum())

def writable(x):
    return [bool(x.flags.writeable), list(x.shape)]
`;

  async function withFileSandbox(fn: (oracle: Oracle) => Promise<void>): Promise<void> {
    const file = InputFile.open();
    assert.ok(file, 'an input file can be made on this machine');
    const sandbox = await Sandbox.start({ memoryMb: 256, outputBytes: 4096, cpuSeconds: 30, inputFile: file }, pythonLauncher);
    try {
      const loaded = await sandbox.load(JSON.stringify({ files: { 'm.py': FILE_SOURCE }, entry: 'm.py' }), 'm.py', 1, 30_000);
      assert.ok(loaded.ok, JSON.stringify(loaded));
      await fn(new Oracle(sandbox, performance.now() + 30_000));
      assert.ok(file.size > 0, 'the inputs went through the file');
    } finally {
      await sandbox.dispose();
      file.close();
    }
  }

  const numberOf = (r: OracleReply | undefined): number | null => (r?.ok === true && r.value.type === 'number' ? r.value.value : null);

  it('an input used twice in one message: the first call writes into its copy, the second sees the original', async () => {
    await withFileSandbox(async (oracle) => {
      const x = markImmutable(Float64Array.from({ length: 1000 }, (_, i) => i));
      const replies = await oracle.run(
        [
          { op: 'callExport', target: 'bump', args: [x], echoArgs: false },
          { op: 'callExport', target: 'total', args: [x], echoArgs: false },
          { op: 'callExport', target: 'total', args: [{ shape: [10, 100], value: x }], echoArgs: false },
        ],
        'twice',
      );
      assert.deepEqual(replies.map(numberOf), [500_500, 499_500, 499_500]);
    });
  });

  it('an input used once arrives writable, in its shape; a later message reads it from the file again, unchanged', async () => {
    await withFileSandbox(async (oracle) => {
      const x = markImmutable(Float64Array.from({ length: 600 }, (_, i) => i % 7));
      const [w] = await oracle.run([{ op: 'callExport', target: 'writable', args: [{ shape: [20, 30], value: x }], echoArgs: false }], 'once');
      assert.ok(w?.ok === true && w.value.type === 'array');
      assert.deepEqual(w.value.items, [{ type: 'boolean', value: true }, { type: 'array', items: [{ type: 'number', value: 20 }, { type: 'number', value: 30 }] }]);
      const [bumped] = await oracle.run([{ op: 'callExport', target: 'bump', args: [x], echoArgs: true }], 'bump');
      assert.ok(bumped?.ok === true && bumped.args?.[0]?.type === 'typed');
      assert.equal(bumped.args[0].value[0], 1, 'the call wrote into the array it was given');
      const [again] = await oracle.run([{ op: 'callExport', target: 'total', args: [x], echoArgs: false }], 'again');
      assert.equal(numberOf(again), x.reduce((a, b) => a + b, 0));
    });
  });
});
