import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { transformSync } from 'esbuild';
import { forkSafeMemory, leaseFrame } from '../../src/sandbox/_framePool.ts';
import { ROOT } from '../_helpers.ts';

// Reply frames in reused memory: a buffer goes to one frame at a time, however often it is given back.

describe('leaseFrame', () => {
  it('gives exactly the length asked for, and memory given back twice to one frame only', () => {
    const a = leaseFrame(3 * 1024 * 1024 + 5);
    assert.equal(a.buffer.length, 3 * 1024 * 1024 + 5);
    a.release();
    a.release();
    const b = leaseFrame(3 * 1024 * 1024);
    const c = leaseFrame(3 * 1024 * 1024);
    assert.notEqual(b.buffer.buffer, c.buffer.buffer);
    assert.ok(b.buffer.buffer === a.buffer.buffer || c.buffer.buffer === a.buffer.buffer, 'the returned memory is reused');
    b.release();
    c.release();
  });

  it('takes the smallest free buffer that fits', () => {
    const big = leaseFrame(8 * 1024 * 1024);
    const small = leaseFrame(2 * 1024 * 1024);
    big.release();
    small.release();
    const again = leaseFrame(2 * 1024 * 1024 - 100);
    assert.equal(again.buffer.buffer, small.buffer.buffer);
    again.release();
  });
});

describe('forkSafeMemory', () => {
  it('falls back to ordinary memory where an address-space limit refuses a WebAssembly memory', () => {
    // The module as it is, transpiled and run by a bare node (tsx's loader needs WebAssembly itself).
    const { code } = transformSync(readFileSync(path.join(ROOT, 'src/sandbox/_framePool.ts'), 'utf8'), { loader: 'ts', format: 'esm' });
    const program = `${code}
let own = 'wasm';
try { new WebAssembly.Memory({ initial: 1, maximum: 1 }); } catch { own = 'refused'; }
console.log(forkSafeMemory(1 << 20).byteLength, own);`;
    const run = (limit: string): string =>
      execFileSync('bash', ['-c', `${limit}exec "$0" --input-type=module -e "$1" 2>&1`, process.execPath, program], { encoding: 'utf8' }).trim();
    assert.equal(run(''), '1048576 wasm');
    assert.equal(run('ulimit -v 4000000; '), '1048576 refused');
    assert.equal(forkSafeMemory(1 << 16).byteLength, 1 << 16);
  });
});
