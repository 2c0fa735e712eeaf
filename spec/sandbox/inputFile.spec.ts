import assert from 'node:assert/strict';
import { fstatSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { encodeFrame, FrameReader, readFrameBlocking } from '../../src/sandbox/_frames.ts';
import { InputFile } from '../../src/sandbox/_inputFile.ts';
import { markImmutable } from '../../src/immutableArrays.ts';
import { Oracle } from '../../src/sandbox/Oracle.ts';
import { Sandbox } from '../../src/sandbox/Sandbox.ts';
import { transpileModule } from '../../src/runtime/typescript/transpile.ts';

// A batch's immutable inputs go to the children through one read-only file instead of every child's channel.

/** Read a frame the way the child does, from bytes in memory, with `file` standing for the input file. */
function childRead(parts: Buffer[], file?: Buffer): { value: unknown; arrays: Float64Array[] } {
  const bytes = Buffer.concat(parts);
  let at = 0;
  return readFrameBlocking(
    (into, offset, length) => {
      into.set(bytes.subarray(at, at + length), offset);
      at += length;
    },
    (n) => new Float64Array(n),
    (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
    file === undefined ? undefined : (into, offset) => into.set(file.subarray(offset, offset + into.length)),
  );
}

describe('frames with arrays in the input file', () => {
  const x = new Float64Array([1, -0, Number.NaN, 4]);
  const y = new Float64Array([7, 8]);
  const file = Buffer.alloc(64);
  file.set(new Uint8Array(x.buffer), 16);
  const place = (a: Float64Array): number | undefined => (a === x ? 16 : undefined);

  it('the child gets placed arrays from the file and the others from the channel, an array used twice once', () => {
    const message = { kind: 'batch', id: 1, requests: [{ args: [x, y] }, { args: [x] }] };
    const parts = encodeFrame(message, place);
    assert.equal(Buffer.concat(parts).length - 4 < 200 + y.byteLength, true, 'x is not in the frame');
    const { value, arrays } = childRead(parts, file);
    assert.deepEqual(value, message);
    assert.equal(arrays.length, 2);
    const got = value as { requests: { args: Float64Array[] }[] };
    assert.equal(got.requests[0]!.args[0], got.requests[1]!.args[0]);
  });

  it('a child without the file refuses a frame that refers to it, and the parent refuses such a frame from a child', () => {
    const parts = encodeFrame({ args: [x] }, place);
    assert.throws(() => childRead(parts), /input file/);
    const errors: Error[] = [];
    const frames: unknown[] = [];
    new FrameReader(1 << 20, (m) => frames.push(m), (e) => errors.push(e)).push(Buffer.concat(parts));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /input file/);
    assert.deepEqual(frames, []);
  });
});

describe('InputFile', () => {
  let f: InputFile;
  before(() => {
    const opened = InputFile.open();
    assert.ok(opened, 'an input file can be made on this machine');
    f = opened;
  });
  after(() => f.close());

  it('places only arrays marked immutable, each once, at 8-byte offsets', () => {
    const plain = new Float64Array([1, 2]);
    assert.equal(f.place(plain), undefined);
    const a = markImmutable(new Float64Array([1, 2, 3]));
    const b = markImmutable(new Float64Array([4]));
    assert.equal(f.place(a), 0);
    assert.equal(f.place(b), 24);
    assert.equal(f.place(a), 0);
    assert.equal(f.size, 32);
    assert.equal(fstatSync(f.childFd).size, 32, 'the file as the children see it');
  });

  it('places a view into an immutable buffer inside that buffer, written once and whole', () => {
    const block = markImmutable(new Float64Array([10, 11, 12, 13, 14, 15]));
    const view = new Float64Array(block.buffer, 16, 3);
    const before = f.size;
    assert.equal(f.place(view), before + 16);
    assert.equal(f.size, before + 48, 'the whole buffer');
    assert.equal(f.place(block), before);
    assert.equal(f.place(new Float64Array(block.buffer, 40, 1)), before + 40);
    assert.equal(f.size, before + 48, 'written once');
    const read = Buffer.alloc(24);
    readSync(f.childFd, read, 0, 24, before + 16);
    assert.deepEqual([...new Float64Array(read.buffer, read.byteOffset, 3)], [12, 13, 14]);
  });

  it('is already unlinked, and the descriptor children inherit is read-only', () => {
    assert.match(readlinkSync(`/proc/self/fd/${f.childFd}`), /\(deleted\)$/);
    const flags = Number.parseInt(/flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${f.childFd}`, 'utf8'))![1]!, 8);
    assert.equal(flags & 3, 0, 'O_RDONLY');
  });
});

describe('a sandbox with the input file', () => {
  const SOURCE = `export function twice(x: Float64Array) { return x.map((v) => v * 2); }`;
  let file: InputFile;
  const sandboxes: Sandbox[] = [];
  before(() => {
    file = InputFile.open()!;
  });
  after(async () => {
    await Promise.all(sandboxes.map((s) => s.dispose()));
    file.close();
  });

  async function twice(options: { inputFile?: InputFile }, x: Float64Array): Promise<number[]> {
    const compiled = transpileModule(SOURCE, 'm.ts');
    assert.ok(compiled.ok);
    const s = await Sandbox.start({ memoryMb: 256, outputBytes: 4096, cpuSeconds: 30, ...options });
    sandboxes.push(s);
    assert.ok((await s.load(compiled.code, 'm.ts', 1, 10_000)).ok);
    const [r] = await new Oracle(s, performance.now() + 30_000).run([{ op: 'callExport', target: 'twice', args: [x], echoArgs: false }], 'twice');
    assert.ok(r?.ok === true && r.value.type === 'typed');
    return [...r.value.value];
  }

  it('gives the child the same input as the channel does, read from the file', async () => {
    const x = markImmutable(Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 1e10));
    const viaChannel = await twice({}, x);
    const viaFile = await twice({ inputFile: file }, x);
    assert.ok(file.size >= x.byteLength, 'x was written to the file');
    assert.deepEqual(viaFile, viaChannel);
    assert.deepEqual(viaFile.slice(0, 3), [...x.subarray(0, 3)].map((v) => v * 2));
  });
});

describe('frames with many small arrays', () => {
  it('small arrays travel in a few buffers and a few reads, large and placed ones on their own, every byte exact', () => {
    const small = Array.from({ length: 5000 }, (_, i) => new Float64Array([i, -0, Number.NaN, i / 3]).subarray(0, 1 + (i % 4)));
    const large = new Float64Array(5000).map((_, i) => Math.sin(i));
    const placed = new Float64Array([9, 9, 9]);
    const file = Buffer.alloc(64);
    file.set(new Uint8Array(placed.buffer), 8);
    const args = [...small.slice(0, 2500), large, placed, ...small.slice(2500)];
    const message = { kind: 'batch', id: 2, requests: [{ args }] };
    const parts = encodeFrame(message, (a) => (a === placed ? 8 : undefined));
    // The header and the first 2,500 small arrays, the large array, the other small arrays.
    assert.equal(parts.length, 3);
    assert.equal(parts[1]!.length, large.byteLength);
    const bytes = Buffer.concat(parts);
    let at = 0;
    let reads = 0;
    const { value } = readFrameBlocking(
      (into, offset, length) => {
        reads++;
        into.set(bytes.subarray(at, at + length), offset);
        at += length;
      },
      (n) => new Float64Array(n),
      (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
      (into, offset) => into.set(file.subarray(offset, offset + into.length)),
    );
    assert.equal(at, bytes.length);
    assert.ok(reads <= 6, `${reads} reads`);
    const got = (value as { requests: { args: Float64Array[] }[] }).requests[0]!.args;
    assert.equal(got.length, args.length);
    got.forEach((a, i) => assert.deepEqual(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(args[i]!.buffer, args[i]!.byteOffset, args[i]!.byteLength)));
  });
});
