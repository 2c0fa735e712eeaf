import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { callSpecsOf, firstDifference } from '../../properties/index.ts';
import { Oracle } from '../../src/sandbox/Oracle.ts';
import { Sandbox } from '../../src/sandbox/Sandbox.ts';
import { transpileModule } from '../../src/runtime/typescript/transpile.ts';

// Two programs compared call by call on inputs drawn from property call specs, in real sandboxes.

const sandboxes: Sandbox[] = [];
after(() => Promise.all(sandboxes.map((s) => s.dispose())));

async function oracleOf(source: string): Promise<Oracle> {
  const compiled = transpileModule(source, 'm.ts');
  if (!compiled.ok) throw new Error(compiled.message);
  const sandbox = await Sandbox.start({ memoryMb: 512, outputBytes: 4096, cpuSeconds: 30 });
  sandboxes.push(sandbox);
  const loaded = await sandbox.load(compiled.code, 'm.ts', 7, 10_000);
  if (!loaded.ok) throw new Error(loaded.thrown.message);
  return new Oracle(sandbox, performance.now() + 60_000);
}

const call = { dims: { n: { min: 1, max: 200 } }, args: [{ type: 'array', shape: ['n'], values: { dist: 'uniform' } }] };
const properties = [
  { use: 'matches-reference', id: 'a', params: { call } },
  { use: 'finite-on-extremes', id: 'b', params: { call } },
  { use: 'stateful-sequence', id: 'c', params: { methods: [{ args: [] }] } },
];

describe('firstDifference', () => {
  it('collects each distinct call spec once, skipping properties without one', () => {
    const specs = callSpecsOf(properties);
    assert.equal(specs.length, 1);
    assert.deepEqual(specs[0]!.dims['n'], { min: 1, max: 200, log: true });
  });

  it('finds no difference between two spellings of the same function, bit for bit (−0 and NaN included)', async () => {
    const a = await oracleOf('export function f(x: Float64Array) { return x.map((v) => v * 0.5); }');
    const b = await oracleOf('export function f(x: Float64Array) { return x.map((v) => v / 2); }');
    const d = await firstDifference(a, b, 'f', callSpecsOf(properties), { seed: 3, perSpec: 25 });
    assert.deepEqual(d, { calls: 25, specs: 1, difference: null });
  });

  it('reports the first call on which the answers differ, with both answers', async () => {
    const a = await oracleOf('export function f(x: Float64Array) { return x.length > 100 ? x.map((v) => v * 0.5000001) : x.map((v) => v / 2); }');
    const b = await oracleOf('export function f(x: Float64Array) { return x.map((v) => v / 2); }');
    const d = await firstDifference(a, b, 'f', callSpecsOf(properties), { seed: 3, perSpec: 60 });
    assert.ok(d.difference !== null);
    assert.match(d.difference, /^f\(Float64Array\((10[1-9]|1[1-9]\d|200)\) \[.*\]\): returns a Float64Array\(\d+\) \[.*\], where the reference returns a Float64Array/);
  });

  it('a -0 where the reference gives +0, or another thrown error name, is a difference', async () => {
    const specs = callSpecsOf(properties);
    const zero = await firstDifference(await oracleOf('export function f(x: Float64Array) { return x.map((v) => -0); }'), await oracleOf('export function f(x: Float64Array) { return x.map((v) => 0); }'), 'f', specs, { seed: 1, perSpec: 5 });
    assert.ok(zero.difference !== null);
    const thrown = await firstDifference(await oracleOf("export function f() { throw new TypeError('a'); }"), await oracleOf("export function f() { throw new RangeError('a'); }"), 'f', specs, { seed: 1, perSpec: 5 });
    assert.match(thrown.difference ?? '', /throws TypeError, where the reference throws RangeError/);
  });
});
