import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkBatched, type CheckOptions, checkProperty } from '../../properties/_check.ts';
import type { RunPlan } from '../../properties/_layer.ts';
import type { CheckOutcome, PropertyContext } from '../../properties/PropertyContract.ts';
import { PropertyFailure } from '../../properties/PropertyFailure.ts';
import { withOracle } from './_oracle.ts';

// checkBatched sends a property's runs in two round trips; it must give what fc.check with a round trip per run
// gives: the same verdict, the same first failure, the same shrunk counterexample.

/** `f(n) === n` for n drawn from [0, 100]: a plan with one request per run. */
function plan() {
  return (n: number): RunPlan => ({
    requests: [{ op: 'callExport', target: 'f', args: [n], echoArgs: false }],
    verify(replies) {
      const r = replies[0]!;
      if (!r.ok) throw new PropertyFailure(`f(${n}) threw ${r.thrown.message}`);
      if (r.value.type !== 'number' || r.value.value !== n) throw new PropertyFailure(`f(${n}) returned ${JSON.stringify(r.value)}`);
    },
  });
}

const options = (shrink: boolean): CheckOptions<[number]> => ({ seed: 4242, numRuns: 40, examples: [[0], [1]], shrink, passedMessage: () => 'ok' });
const arbs: [fc.Arbitrary<number>] = [fc.integer({ min: 0, max: 100 })];

function batched(source: string, shrink: boolean): Promise<{ outcome: CheckOutcome; roundTrips: number; requests: number }> {
  return withOracle(source, async (ctx: PropertyContext) => {
    const outcome = await checkBatched(ctx.oracle, 'f', arbs, plan(), options(shrink));
    return { outcome, roundTrips: ctx.oracle.roundTrips, requests: ctx.oracle.requests };
  });
}

function sequential(source: string, shrink: boolean): Promise<CheckOutcome> {
  return withOracle(source, (ctx) => {
    const p = plan();
    return checkProperty(arbs, async (n) => {
      const run = p(n);
      run.verify(await ctx.oracle.run(run.requests, 'f'));
    }, options(shrink));
  });
}

describe('checkBatched', () => {
  it('a passing property: three round trips (the first run, the other example, the rest) for 40 runs, same outcome as fc.check', async () => {
    const source = 'export function f(n: number) { return n; }';
    const b = await batched(source, true);
    assert.deepEqual(b.outcome, { passed: true, message: 'ok' });
    assert.equal(b.roundTrips, 3);
    assert.equal(b.requests, 40);
    assert.deepEqual(await sequential(source, true), b.outcome);
  });

  it('a failure in a generated run is found and shrunk to the same counterexample as fc.check', async () => {
    const source = 'export function f(n: number) { return n > 60 ? -1 : n; }';
    const b = await batched(source, true);
    assert.equal(b.outcome.passed, false);
    assert.match(b.outcome.message, /^f\(61\) returned/);
    assert.deepEqual(b.outcome, await sequential(source, true));
  });

  it('a shrunk failure also reports the first failing case found, whose error is usually larger', async () => {
    // The error grows with n, so shrinking walks it down to its smallest size (n = 61, off by 1 000).
    const source = 'export function f(n: number) { return n > 60 ? n + (n - 60) * 1000 : n; }';
    const b = await batched(source, true);
    assert.equal(b.outcome.passed, false);
    const ce = b.outcome.counterexample as { args: number[]; firstFound: { args: number[]; message: string } };
    assert.deepEqual(ce.args, [61]);
    assert.ok(ce.firstFound.args[0]! > 61, `first found ${ce.firstFound.args[0]}`);
    assert.match(b.outcome.message, /^f\(61\) returned .*1061.* \[shrunk\]; the first failing case found: f\(\d+\) returned/);
    assert.equal(b.outcome.message.endsWith(ce.firstFound.message), true);
    assert.deepEqual(b.outcome, await sequential(source, true));
  });

  it('without shrinking it reports the first failing run and its index, as fc.check does', async () => {
    const source = 'export function f(n: number) { return n > 60 ? -1 : n; }';
    const b = await batched(source, false);
    const s = await sequential(source, false);
    assert.equal(b.outcome.passed, false);
    assert.deepEqual(b.outcome, s);
  });

  it('a failure that depends on earlier calls still fails when its replay passes (unshrunk, at its index)', async () => {
    // The 5th call of all fails: in the batch that is run 4; replayed alone it is the 41st call and passes.
    const source = 'let calls = 0; export function f(n: number) { calls++; return calls === 5 ? -1 : n; }';
    const b = await batched(source, true);
    assert.equal(b.outcome.passed, false);
    assert.equal((b.outcome.counterexample as { path: string }).path, '4');
    assert.match(b.outcome.message, /^f\(\d+\) returned/);
  });

  it('a thrown exception in one run fails that run only; the others still ran', async () => {
    const source = 'export function f(n: number) { if (n === 1) throw new RangeError("one"); return n; }';
    const b = await batched(source, true);
    assert.equal(b.outcome.passed, false);
    assert.match(b.outcome.message, /^f\(1\) threw one/);
    assert.deepEqual(b.outcome, await sequential(source, true));
  });
});
