import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstDifference } from '../../properties/_layer.ts';

// firstDifference compares values as Object.is does: −0 is not 0, and every NaN is NaN, whatever its bits.

describe('firstDifference', () => {
  const long = (n: number): Float64Array => new Float64Array(n).map((_, i) => Math.sin(i) * 1e3);

  for (const n of [5, 64, 1000, 100_000]) {
    it(`finds the first differing element of arrays of ${n}, and none in a copy`, () => {
      const a = long(n);
      assert.equal(firstDifference(a, a.slice()), -1);
      for (const at of [0, Math.floor(n / 2), n - 1]) {
        const b = a.slice();
        b[at] = -b[at]!;
        b[n - 1] = 42;
        assert.equal(firstDifference(a, b), at === n - 1 ? n - 1 : at);
      }
    });
  }

  it('tells −0 from 0, not one NaN from another with other bits, and a shorter array at its end', () => {
    const a = long(200);
    const b = a.slice();
    a[150] = Number.NaN;
    const bits = new DataView(b.buffer);
    bits.setUint32(150 * 8 + 4, 0x7ff80000, true);
    bits.setUint32(150 * 8, 0xdeadbeef, true);
    assert.ok(Number.isNaN(b[150]));
    assert.equal(firstDifference(a, b), -1);
    b[170] = -0;
    a[170] = 0;
    assert.equal(firstDifference(a, b), 170);
    assert.equal(firstDifference(a.subarray(0, 100), a), 100);
    // Views that start inside their buffers.
    assert.equal(firstDifference(a.subarray(3, 120), b.subarray(3, 120)), -1);
  });
});
