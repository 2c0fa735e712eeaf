/**
 * Malformed and oversized messages. The submission cannot send any: it has no handle on the channel (shown
 * first, from inside the sandbox). The parent's decoder is still built for a hostile child, so it is fed
 * what a taken-over child could write: a length prefix claiming 4 GiB, garbage headers, arrays running past
 * the frame, stray bytes, frames cut into single bytes.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sandboxOptions } from '../../src/grading/gradeWorkspace.ts';
import { encodeFrame, FrameReader } from '../../src/sandbox/_frames.ts';
import { Oracle } from '../../src/sandbox/Oracle.ts';
import { Sandbox } from '../../src/sandbox/Sandbox.ts';
import { transpileModule } from '../../src/sandbox/transpile.ts';
import { hostileTask, Scratch, settledProcesses } from '../hostile/_support.ts';

let scratch: Scratch;
before(async () => {
  scratch = await Scratch.create('protocol');
});
after(async () => {
  const leftover = await settledProcesses(scratch.marker);
  const gone = await scratch.cleanup();
  assert.deepEqual(leftover, []);
  assert.ok(gone);
});

// Everything a submission could try in order to write to the channel (fd 3) or reach Node at all.
const PROBE = `
export function probe() {
  const found = [];
  const g = (function () { return this; })();
  for (const k of ['process', 'require', 'module', 'Buffer', 'global', 'globalThis', 'setTimeout', 'fetch', 'WebAssembly']) {
    if (k !== 'globalThis' && k !== 'WebAssembly' && g[k] !== undefined) found.push(k);
  }
  const tries = {
    'Function("return process")': () => [].constructor.constructor('return process')(),
    'eval': () => (0, eval)('process'),
    'async Function': () => Object.getPrototypeOf(async function () {}).constructor('return process'),
    'module.require': () => module.require('net'),
  };
  for (const [name, t] of Object.entries(tries)) {
    try {
      const v = t();
      if (v !== undefined) found.push(name);
    } catch {}
  }
  return found.length === 0 ? 'nothing reachable' : found.join(', ');
}
`;

it('from inside the sandbox there is no process, require, module loader or code generation to reach the channel with', async () => {
  const spec = await hostileTask();
  const compiled = transpileModule(PROBE, 'probe.ts');
  assert.ok(compiled.ok);
  const s = await Sandbox.start(sandboxOptions(spec));
  try {
    const loaded = await s.load(compiled.code, 'probe.ts', 1, 5000);
    assert.ok(loaded.ok);
    const reply = await new Oracle(s, performance.now() + 10_000).callExport('probe', []);
    assert.ok(reply.ok);
    assert.deepEqual(reply.value, { type: 'string', value: 'nothing reachable' });
  } finally {
    await s.dispose();
  }
});

function reader(max = 1024): { r: FrameReader; frames: unknown[]; errors: Error[] } {
  const frames: unknown[] = [];
  const errors: Error[] = [];
  return { r: new FrameReader(max, (m) => frames.push(m), (e) => errors.push(e)), frames, errors };
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
};

it('a length prefix of 4 GiB is refused before anything is allocated, and later input is ignored', () => {
  const { r, frames, errors } = reader();
  r.push(u32(0xffff_ffff));
  r.push(Buffer.concat(encodeFrame({ kind: 'ready' })));
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /exceeds the limit/);
  assert.deepEqual(frames, []);
});

it('garbage where the serialized header should be is an error, not an exception or a message', () => {
  const { r, frames, errors } = reader();
  const body = Buffer.concat([u32(12), Buffer.from('not a header')]);
  r.push(Buffer.concat([u32(body.length), body]));
  assert.equal(errors.length, 1);
  assert.deepEqual(frames, []);
});

it('a header longer than its frame, an array running past the frame, and stray bytes after the arrays are errors', () => {
  const good = Buffer.concat(encodeFrame({ kind: 'reply', id: 1, reply: { ok: true, value: { type: 'typed', kind: 'Float64Array', value: new Float64Array([1, 2, 3]), arg: -1 } } }));
  const headerTooLong = Buffer.from(good);
  headerTooLong.writeUInt32LE(good.length, 4);
  const truncatedArray = Buffer.concat([u32(good.length - 4 - 8), good.subarray(4, good.length - 8)]);
  const stray = Buffer.concat([u32(good.length - 4 + 8), good.subarray(4), Buffer.alloc(8, 7)]);
  for (const bad of [headerTooLong, truncatedArray, stray]) {
    const { r, frames, errors } = reader();
    r.push(bad);
    assert.equal(errors.length, 1, 'one error');
    assert.deepEqual(frames, []);
  }
});

it('a valid frame cut into single bytes is reassembled exactly (the decoder is not fooled by chunking)', () => {
  const { r, frames, errors } = reader(1 << 20);
  const x = new Float64Array([0.5, -0, Number.MIN_VALUE, 1e308]);
  const bytes = Buffer.concat(encodeFrame({ kind: 'reply', id: 7, reply: { ok: true, value: { type: 'typed', kind: 'Float64Array', value: x, arg: 0 } } }));
  for (let i = 0; i < bytes.length; i++) r.push(bytes.subarray(i, i + 1));
  assert.deepEqual(errors, []);
  assert.equal(frames.length, 1);
  assert.deepEqual(frames[0], { kind: 'reply', id: 7, reply: { ok: true, value: { type: 'typed', kind: 'Float64Array', value: x, arg: 0 } } });
});

it('values JSON cannot hold arrive exactly: NaN, ±Infinity, −0, undefined, and an array sent twice is one array', () => {
  const { r, frames, errors } = reader(1 << 20);
  const x = new Float64Array([1, Number.NaN, -0]);
  const message = { kind: 'batch', id: 3, requests: [{ op: 'call', args: [x, undefined, -0, Number.NaN, Infinity, -Infinity, 'a\ud800b'] }, { op: 'call', args: [x] }] };
  r.push(Buffer.concat(encodeFrame(message)));
  assert.deepEqual(errors, []);
  const got = frames[0] as { requests: { args: unknown[] }[] };
  assert.deepEqual(got, message);
  assert.ok(Object.is(got.requests[0]!.args[2], -0));
  assert.equal(got.requests[0]!.args.length, 7);
  assert.ok(1 in got.requests[0]!.args, 'undefined is an element, not a hole');
  assert.equal(got.requests[0]!.args[0], got.requests[1]!.args[0], 'the same array object both times');
});

/** A frame with a hand-written header (what a taken-over child could send) and the given blobs. */
function rawFrame(header: string, blobs: Float64Array[] = []): Buffer {
  const h = Buffer.from(header);
  const pad = Buffer.alloc(((4 + h.length + 7) & ~7) - 4 - h.length);
  const body = Buffer.concat([u32(h.length), h, pad, ...blobs.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))]);
  return Buffer.concat([u32(body.length), body]);
}

it('a header naming an array it does not carry, a bad number, a wrong table or deep nesting is an error', () => {
  const bad = [
    rawFrame('{"a":[],"m":{"kind":"replies","x":{"$f":0}}}'),
    rawFrame('{"a":[1],"m":{"x":{"$f":1}}}', [new Float64Array(1)]),
    rawFrame('{"a":[1],"m":{"x":{"$f":-1}}}', [new Float64Array(1)]),
    rawFrame('{"a":[],"m":{"x":{"$n":"12"}}}'),
    rawFrame('{"a":[-1],"m":{}}'),
    rawFrame('{"a":[0.5],"m":{}}'),
    rawFrame('[1,2]'),
    rawFrame('{"m":{}}'),
    rawFrame(`{"a":[],"m":${'['.repeat(100)}${']'.repeat(100)}}`),
  ];
  for (const frame of bad) {
    const { r, frames, errors } = reader(1 << 20);
    r.push(frame);
    assert.equal(errors.length, 1, frame.toString('utf8', 8, 60));
    assert.deepEqual(frames, []);
  }
});

it('a "__proto__" key from the child stays a plain own property; it cannot swap a prototype', () => {
  const { r, frames, errors } = reader(1 << 20);
  r.push(rawFrame('{"a":[1],"m":{"kind":"replies","__proto__":{"$f":0},"id":{"__proto__":{"$n":"NaN"}}}}', [new Float64Array([5])]));
  assert.deepEqual(errors, []);
  const m = frames[0] as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(m), Object.prototype);
  assert.ok(Object.hasOwn(m, '__proto__'));
  assert.ok(Object.getOwnPropertyDescriptor(m, '__proto__')?.value instanceof Float64Array);
  assert.equal(Object.getPrototypeOf(m['id']), Object.prototype);
});
