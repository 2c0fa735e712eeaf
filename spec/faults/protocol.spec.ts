/**
 * Malformed and oversized messages. The submission cannot send any: it has no handle on the channel (shown
 * first, from inside the sandbox). The parent's decoder is still built for a hostile child, so it is fed
 * what a taken-over child could write: a length prefix claiming 4 GiB, garbage headers, arrays running past
 * the frame, stray bytes, frames cut into single bytes. And the honest harness's replies are bounded too: a reply
 * larger than its requests can produce is refused at its length prefix.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sandboxOptions } from '../../src/grading/gradeWorkspace.ts';
import { encodeFrame, FrameReader, FrameTooLarge } from '../../src/sandbox/_frames.ts';
import { Oracle } from '../../src/sandbox/Oracle.ts';
import { Sandbox } from '../../src/sandbox/Sandbox.ts';
import { SubmissionFault } from '../../src/errors.ts';
import { transpileModule } from '../../src/runtime/typescript/transpile.ts';
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

it('a length limit given as a function is asked at each length prefix: a frame over it is refused unread, one under it decoded', () => {
  let limit = 64;
  const frames: unknown[] = [];
  const errors: Error[] = [];
  const r = new FrameReader(() => limit, (m) => frames.push(m), (e) => errors.push(e));
  const small = Buffer.concat(encodeFrame({ kind: 'ready' }));
  const big = Buffer.concat(encodeFrame({ kind: 'replies', id: 1, replies: [{ ok: true, value: { type: 'typed', kind: 'Float64Array', value: new Float64Array(100), arg: -1 } }] }));
  r.push(small);
  assert.equal(frames.length, 1);
  limit = 1 << 20;
  r.push(big);
  assert.equal(frames.length, 2);
  limit = 64;
  r.push(big.subarray(0, 4));
  assert.equal(errors.length, 1, 'refused at the prefix, before the body arrived');
  assert.ok(errors[0] instanceof FrameTooLarge);
  assert.equal(errors[0].bytes, big.length - 4);
  assert.equal(errors[0].limit, 64);
});

/** What a reply to `f(new Float64Array(n))` costs the grading process when `f` returns `body`'s value. */
async function replyTo(body: string, n: number): Promise<{ outcome: string; grewBytes: number }> {
  const spec = await hostileTask();
  const compiled = transpileModule(`export function f(x: Float64Array) { ${body} }`, 'f.ts');
  assert.ok(compiled.ok);
  const s = await Sandbox.start(sandboxOptions(spec));
  const before = process.memoryUsage();
  let grew = 0;
  const sample = (): void => {
    const now = process.memoryUsage();
    grew = Math.max(grew, now.arrayBuffers - before.arrayBuffers, now.heapUsed - before.heapUsed);
  };
  const timer = setInterval(sample, 2);
  try {
    const loaded = await s.load(compiled.code, 'f.ts', 1, 5000);
    assert.ok(loaded.ok);
    const r = await new Oracle(s, performance.now() + 20_000).callExport('f', [new Float64Array(n)]);
    return { outcome: r.ok ? r.value.type : `threw ${r.thrown.message}`, grewBytes: grew };
  } catch (e) {
    sample();
    assert.ok(e instanceof SubmissionFault, String(e));
    return { outcome: e.message, grewBytes: grew };
  } finally {
    clearInterval(timer);
    await s.dispose();
  }
}

it('a reply larger than its request can produce is refused while it is read: a SubmissionFault, and the grading process allocates none of it', async () => {
  const cases: [string, RegExp][] = [
    // 96 MB of arrays (12 descriptions of one 8 MB array) for an input of 2,000 elements.
    ['const big = new Float64Array(1_000_000); return Array.from({ length: 12 }, () => big);', /sent a reply of 96\d{6} bytes, more than its requests can produce \(at most \d+ bytes\)/],
    // 10 MB of strings in the reply's header.
    ["const s = 'ab'.repeat(1000); return Array.from({ length: 5_000 }, () => s);", /sent a reply of \d{8} bytes, more than its requests can produce/],
    ['return new Float64Array(4_000_000);', /sent a reply of 32\d{6} bytes, more than its requests can produce/],
  ];
  for (const [body, message] of cases) {
    const { outcome, grewBytes } = await replyTo(body, 2000);
    assert.match(outcome, message);
    assert.ok(grewBytes < 8 * 1024 * 1024, `the grading process grew by ${grewBytes} bytes`);
  }
});

it('replies as large as the request legitimately makes them still arrive: an array per input element, echoed, and a matrix sized by integer arguments', async () => {
  assert.equal((await replyTo('return new Float64Array(x.length);', 200_000)).outcome, 'typed');
  assert.equal((await replyTo('return [x.slice(), x.slice(), x.slice()];', 100_000)).outcome, 'array');
  assert.equal((await replyTo('return Array.from(x, (v) => v + 1);', 50_000)).outcome, 'array');
  // heNormal(fanIn, fanOut) returns fanIn × fanOut numbers from two integers.
  const spec = await hostileTask();
  const compiled = transpileModule('export function g(a: number, b: number) { return new Float64Array(a * b); }', 'g.ts');
  assert.ok(compiled.ok);
  const s = await Sandbox.start(sandboxOptions(spec));
  try {
    assert.ok((await s.load(compiled.code, 'g.ts', 1, 5000)).ok);
    const r = await new Oracle(s, performance.now() + 20_000).callExport('g', [1024, 1024]);
    assert.ok(r.ok && r.value.type === 'typed' && r.value.value.length === 1024 * 1024);
  } finally {
    await s.dispose();
  }
});

it('kept arrays and runs of calls (callEach) are budgeted by their length: their legitimate replies arrive, a flood does not', async () => {
  const spec = await hostileTask();
  const source = `export class L {
    forward(x: Float64Array) { return x.map((v) => 2 * v); }
    flood(x: Float64Array) { return new Float64Array(4_000_000); }
  }`;
  const compiled = transpileModule(source, 'l.ts');
  assert.ok(compiled.ok);
  const s = await Sandbox.start(sandboxOptions(spec));
  try {
    assert.ok((await s.load(compiled.code, 'l.ts', 1, 5000)).ok);
    const oracle = new Oracle(s, performance.now() + 20_000);
    const { request, handle } = oracle.constructRequest('L', []);
    const inputs = new Float64Array(100_000).fill(1);
    const kept = new Float64Array(50_000).fill(3);
    const replies = await oracle.run(
      [
        request,
        { op: 'keep', handle: 900, value: kept },
        { op: 'call', handle, method: 'forward', args: [{ kept: 900 }], echoArgs: true },
        { op: 'callEach', handle, method: 'forward', args: [undefined], arg: 0, returns: 'array', inputs, length: 10, count: 10_000 },
      ],
      'kept and callEach',
    );
    const [, , call, each] = replies;
    assert.ok(call?.ok && call.value.type === 'typed' && call.value.value.length === 50_000 && call.value.value[0] === 6);
    assert.ok(each?.ok && each.value.type === 'array' && each.value.items[0]?.type === 'typed' && each.value.items[0].value.length === 100_000);
    // The kept array is remembered across batches: passing it alone later still allows its length back.
    const later = await oracle.run([{ op: 'call', handle, method: 'forward', args: [{ kept: 900 }], echoArgs: true }], 'kept, a batch later');
    assert.ok(later[0]?.ok && later[0].value.type === 'typed' && later[0].value.value.length === 50_000);
    await assert.rejects(
      oracle.run([{ op: 'call', handle, method: 'flood', args: [{ kept: 900 }], echoArgs: false }], 'a flood'),
      (e: unknown) => e instanceof SubmissionFault && /more than its requests can produce/.test(e.message),
    );
  } finally {
    await s.dispose();
  }
});

it('a load whose list of exports is larger than any module needs (200,000 names) is refused the same way', async () => {
  const spec = await hostileTask();
  const compiled = transpileModule("for (let i = 0; i < 200_000; i++) module.exports['export_number_' + i] = i;", 'many.ts');
  assert.ok(compiled.ok);
  const s = await Sandbox.start(sandboxOptions(spec));
  try {
    await assert.rejects(s.load(compiled.code, 'many.ts', 1, 5000), (e: unknown) => e instanceof SubmissionFault && /sent a reply of \d+ bytes, more than its requests can produce \(at most 1048576 bytes\)/.test(e.message));
  } finally {
    await s.dispose();
  }
});
