import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFrame, FrameReader } from '../../src/sandbox/_frames.ts';

// A Python child's channel is a socket whose reads the FrameReader directs (net.Socket's `onread`): a large frame is read in
// place, everything else into scratch memory that the next read overwrites.

/** Feed `bytes` to the reader as a socket would: each read fills at most what `target()` offers, capped at `chunk`. */
function feed(r: FrameReader, bytes: Buffer, chunk: number): void {
  for (let at = 0; at < bytes.length; ) {
    const into = r.target();
    const n = Math.min(into.length, chunk, bytes.length - at);
    into.set(bytes.subarray(at, at + n));
    r.received(n, into);
    at += n;
  }
}

describe('FrameReader reading through target()/received()', () => {
  const big = new Float64Array(300_000).map((_, i) => i * 0.5 - 7);
  const small = new Float64Array([1, -0, Number.NaN, 3]);
  const bytes = Buffer.concat([...encodeFrame({ id: 1, a: small }), ...encodeFrame({ id: 2, a: big }), ...encodeFrame({ id: 3, a: small.map((x) => x * 2) })]);

  for (const chunk of [7, 4096, 65536, 1 << 20]) {
    it(`decodes what push() decodes, in reads of up to ${chunk} bytes, and a small message survives the reads after it`, () => {
      const frames: { id: number; a: Float64Array }[] = [];
      const errors: Error[] = [];
      const r = new FrameReader(
        1 << 23,
        (m) => frames.push(m as { id: number; a: Float64Array }),
        (e) => errors.push(e),
      );
      feed(r, bytes, chunk);
      assert.deepEqual(errors, []);
      assert.deepEqual(
        frames.map((f) => f.id),
        [1, 2, 3],
      );
      // The first message was decoded from scratch memory that later reads wrote over: it must be a copy.
      assert.deepEqual([...frames[0]!.a], [...small]);
      assert.deepEqual(frames[1]!.a, big);
      assert.deepEqual([...frames[2]!.a], [2, -0, Number.NaN, 6]);
      assert.equal(r.partial, false);
    });
  }

  it('offers the rest of a large frame as the next read target, so that its bytes land in place', () => {
    const r = new FrameReader(1 << 23, () => undefined, () => undefined);
    const frame = Buffer.concat(encodeFrame({ a: big }));
    const first = r.target();
    first.set(frame.subarray(0, 1000));
    r.received(1000, first);
    const next = r.target();
    assert.equal(next.length, frame.length - 4 - (1000 - 4));
    assert.notEqual(next.buffer, first.buffer);
  });
});
