import fc from 'fast-check';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { z } from 'zod';
import { sharedSpread } from './_distributions.ts';
import { checkBatched, fmt } from './_check.ts';
import { lagStatisticCount, lagStatistics } from './_lagPairs.ts';
import { type ForwardResult, LayerPlan, type PlannedLayer, type Ticket } from './_layer.ts';
import { falseReject, rateArbitrary, rateRange, seedArbitrary } from './_params.ts';
import { bernsteinHalfWidth, nonNegativeLowerHalfWidth, nonNegativeLowerSamples } from './_stats.ts';
import { defineProperty } from './PropertyContract.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/** Where a layer's randomness comes from: an injected seeded rng, or the default (the child's seeded Math.random). */
const sources = ['rng', 'default'] as const;
type Source = (typeof sources)[number];

/** Lags within a run's masks (calls concatenated); the length of one call is added, for call-to-call dependence. */
const LAGS = [1, 2, 3, 4, 5, 6, 7, 8, 16, 32] as const;

/** Z = (D − np)²/(npq) above this counts as this in the upper test (its mean is then at most 1, bounded terms). */
const TRUNCATE = 8;

/**
 * The units of one call: enough that npq ≥ 8 (a count pinned to round(np) then has (D − np)²/(npq) ≤ 1/32, far
 * below every acceptance region) and that two independent masks agree everywhere, (p² + q²)^n, with probability
 * at most `agree`.
 */
export function unitsPerCall(p: number, agree: number): number {
  const q = 1 - p;
  return Math.max(32, Math.ceil(8 / (p * q)), Math.ceil(Math.log(agree) / Math.log(p * p + q * q)));
}

/** E[Z²] for Z = (D − np)²/(npq), D ~ Binomial(n, p): the binomial's fourth central moment over (npq)². */
export function countSecondMoment(n: number, p: number): number {
  const v = n * p * (1 - p);
  return 3 + (1 - 6 * p * (1 - p)) / v;
}

/**
 * An input of length n holding what the mask must not look at: ±0, subnormals, NaN, ±Infinity, huge and tiny
 * normals, integers, ordinary values; drawn from `seed`.
 */
export function specialInput(n: number, seed: number): Float64Array {
  const rng = xoroshiro128plus(seed | 0);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = uniformFloat64(rng);
    const sign = uniformFloat64(rng) < 0.5 ? -1 : 1;
    const v = uniformFloat64(rng);
    if (u < 0.1) x[i] = sign * 0;
    else if (u < 0.35) x[i] = sign * Number.MIN_VALUE * Math.floor(1 + v * 2 ** 40);
    else if (u < 0.4) x[i] = Number.NaN;
    else if (u < 0.45) x[i] = sign * Number.POSITIVE_INFINITY;
    else if (u < 0.55) x[i] = sign * 10 ** (300 + 8 * v);
    else if (u < 0.6) x[i] = sign * 10 ** (-300 - 7 * v);
    else if (u < 0.7) x[i] = sign * Math.floor(1 + v * 1000);
    else x[i] = sign * 10 ** (6 * v - 3);
  }
  return x;
}

/** Dropped positions (y = 0) of an output whose input had no zeros, as 0/1. */
function maskOf(y: Float64Array): Uint8Array {
  const m = new Uint8Array(y.length);
  for (let i = 0; i < y.length; i++) m[i] = y[i] === 0 ? 1 : 0;
  return m;
}

function sameMask(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Why output `y` of `special` disagrees with `mask` (the same seeds on an input without zeros), or null. */
function inputDependence(special: Float64Array, y: Float64Array, mask: Uint8Array): string | null {
  for (let i = 0; i < special.length; i++) {
    const x = special[i]!;
    const dropped = mask[i] === 1;
    const v = y[i]!;
    const what = `element ${i} (input ${fmt(x)})`;
    if (x === 0) {
      if (v !== 0) return `${what} became ${fmt(v)}; a zero input must give 0, dropped or kept`;
    } else if (!Number.isFinite(x)) {
      // x·0 is NaN, so a layer computing x·mask·s rather than choosing 0 may return NaN for a dropped unit.
      if (dropped ? !(v === 0 || Number.isNaN(v)) : v === 0) return `${what} was ${v === 0 ? 'dropped' : `returned as ${fmt(v)}`}, but the same seeds ${dropped ? 'dropped' : 'kept'} it for an ordinary input`;
    } else if ((v === 0) !== dropped) {
      return `${what} was ${v === 0 ? 'dropped' : 'kept'}, but the same seeds ${dropped ? 'dropped' : 'kept'} it for an ordinary input`;
    }
  }
  return null;
}

/**
 * The dropout mask is fresh, independent Bernoulli(p) randomness that depends on nothing but the generator, both
 * with an injected rng and with the default one (the child's seeded Math.random). One run builds a layer, calls
 * forward() m times on one input without zeros, reads the masks (y = 0), and checks from those same outputs:
 *
 * - the count D of dropped units per call has Binomial(n, p)'s spread: Z = (D − np)²/(npq) has mean 1, and its
 *   mean over the m calls may fall below 1 − t with probability ≤ δ/4 (Maurer's bound for non-negative terms,
 *   with the binomial's E[Z²]); a count fixed by a shuffle or a block gives Z ≈ 0. Upwards, min(Z, 8) (mean ≤ 1)
 *   is held by Bernstein at δ/8;
 * - the mask bits (b − p) at lags 1–8, 16, 32 and one call's length have no correlation (see lagStatistics), at
 *   3δ/8 split among the statistics: shared draws, contiguous blocks, masks repeated from call to call fail;
 * - two calls on one layer give different masks, and so does a new layer with another seed (another Math.random
 *   seed for a default layer), each agreeing by chance with probability ≤ δ/16 at the sizes used;
 * - the same seeds give the same mask again (a default layer: the same Math.random seed), and the same mask on an
 *   input full of zeros, subnormals, NaN, ±Infinity and huge values, wherever that input lets the mask be seen.
 *
 * A run fails a correct layer with probability at most δ (`falseReject`).
 */
export const maskRandomness = defineProperty({
  name: 'mask-randomness',
  summary: 'masks are fresh, independent Bernoulli(p) draws from the generator alone, injected or default (false-reject ≤ falseReject per run)',
  params: z.strictObject({
    falseReject,
    p: rateRange(0.05, 0.95, [0.5]),
    /** Runs with an injected rng and with the default generator; every source is among the examples. */
    sources: z.array(z.enum(sources)).min(1).default([...sources]),
    /** How far below 1 the count variance's ratio to npq may be found (it sets the calls per run). */
    varianceTolerance: z.number().gt(0).lt(1).default(0.9),
    runs: z.int().min(1).max(1000).default(3),
  }),
  falseRejectBound: (params) => params.runs * params.falseReject,
  check(params, issue) {
    if (params.p.min < 0.001 || params.p.max > 0.999) issue('mask-randomness needs rates in [0.001, 0.999]: the sample grows as 1/(p(1−p))', ['p']);
  },
  async run(ctx, params) {
    const delta = params.falseReject;
    const statistics = lagStatisticCount([...LAGS, 0]);
    let calls = 0;
    let lowestVariance = Number.POSITIVE_INFINITY;
    let highestVariance = 0;
    let worstCorrelation = 0;
    const examples = params.p.include.flatMap((p) => params.sources.map((s): [number, Source, number, number, number, number] => [p, s, 0.5, 1, 2, 3]));
    return checkBatched(
      ctx.oracle,
      'mask-randomness',
      [rateArbitrary(params.p), fc.constantFrom(...params.sources), fc.double({ min: 0, max: 1, noNaN: true }), seedArbitrary, seedArbitrary, seedArbitrary],
      (p, source, grow, dataSeed, rngSeed, mathSeed) => {
        const q = 1 - p;
        const n0 = unitsPerCall(p, delta / 16);
        const n = n0 + Math.floor(grow * n0);
        const secondMoment = countSecondMoment(n, p);
        const m = Math.max(2, nonNegativeLowerSamples(params.varianceTolerance, secondMoment, delta / 4));
        const x = sharedSpread(n, dataSeed, 3);
        const special = specialInput(n, dataSeed ^ 0x5bd1e995);
        const otherSeed = rngSeed === 0x7fffffff ? 0 : rngSeed + 1;
        const what = `p = ${fmt(p)}, ${source === 'rng' ? 'injected rng' : 'default generator'}, length ${n}`;
        const plan = new LayerPlan(ctx);
        const fresh = (seed: number, math: number | null): PlannedLayer => {
          if (math !== null) plan.reseedMathRandom(math);
          return plan.newLayer(p, source === 'rng' ? seed : null);
        };
        const main = fresh(rngSeed, mathSeed);
        const outs: Ticket<ForwardResult>[] = [];
        for (let k = 0; k < m; k++) outs.push(plan.forward(main, x, what));
        const again = fresh(rngSeed, mathSeed);
        const againOut = plan.forward(again, x, what);
        const odd = fresh(rngSeed, mathSeed);
        const oddOut = plan.forward(odd, special, `${what}, an input with zeros, subnormals, NaN and ±Infinity`);
        const other = fresh(otherSeed, source === 'rng' ? null : mathSeed ^ 0x2545f491);
        const otherOut = plan.forward(other, x, what);
        return plan.check((take) => {
          take(main.made);
          const masks = outs.map((t) => maskOf(take(t).y));
          calls += m + 3;
          const first = masks[0]!;
          take(again.made);
          if (!sameMask(maskOf(take(againOut).y), first)) {
            throw new PropertyFailure(`a new layer with the same ${source === 'rng' ? 'rng seed' : 'Math.random seed'} dropped other positions (${what}); the mask must come from ${source === 'rng' ? 'the injected rng' : 'Math.random when no rng is given'} alone`);
          }
          take(odd.made);
          const dependence = inputDependence(special, take(oddOut).y, first);
          if (dependence !== null) throw new PropertyFailure(`with the same seeds, ${dependence} (${what}); the mask must not depend on the input values`);
          take(other.made);
          if (sameMask(maskOf(take(otherOut).y), first)) {
            throw new PropertyFailure(`a new layer with ${source === 'rng' ? 'another rng seed' : 'Math.random seeded differently'} dropped exactly the same ${n} positions (${what}); the mask must be random, not from a generator with a fixed seed`);
          }
          if (sameMask(masks[1]!, first)) throw new PropertyFailure(`two forward() calls on one layer dropped exactly the same ${n} positions (${what}); every call must draw a new mask`);

          // Count spread: Z = (D − np)²/(npq) per call.
          let sumZ = 0;
          let sumCapped = 0;
          for (const mask of masks) {
            let d = 0;
            for (let i = 0; i < n; i++) d += mask[i]!;
            const z = (d - n * p) ** 2 / (n * p * q);
            sumZ += z;
            sumCapped += Math.min(z, TRUNCATE);
          }
          const ratio = sumZ / m;
          const low = nonNegativeLowerHalfWidth(m * secondMoment, delta / 4) / m;
          const high = bernsteinHalfWidth(m * secondMoment, TRUNCATE, delta / 8) / m;
          lowestVariance = Math.min(lowestVariance, ratio);
          highestVariance = Math.max(highestVariance, sumCapped / m);
          if (!(ratio >= 1 - low)) {
            throw new PropertyFailure(
              `over ${m} calls the number of dropped units varied ${fmt(ratio)} × as much as Binomial(${n}, ${fmt(p)}) (${what}); at least ${fmt(1 - low)} is expected: units must be dropped independently, not an exact count`,
            );
          }
          if (!(sumCapped / m <= 1 + high)) {
            throw new PropertyFailure(`over ${m} calls the number of dropped units varied ${fmt(ratio)} × as much as Binomial(${n}, ${fmt(p)}) (${what}); units must be dropped independently with one rate`);
          }

          // Serial correlation of the mask bits, calls concatenated.
          const c = new Float64Array(m * n);
          masks.forEach((mask, k) => {
            for (let i = 0; i < n; i++) c[k * n + i] = mask[i]! - p;
          });
          for (const s of lagStatistics(c, [...LAGS, n], p * q, Math.max(p, q), (3 * delta) / 8 / statistics)) {
            worstCorrelation = Math.max(worstCorrelation, Math.abs(s.correlation) / s.halfWidth);
            if (!(Math.abs(s.correlation) <= s.halfWidth)) {
              const where = s.lag === n ? 'the same unit in consecutive calls' : `units ${s.lag} apart`;
              throw new PropertyFailure(
                `the masks of ${where} are correlated: ${fmt(s.correlation)} over ${s.pairs} pairs, beyond ±${fmt(s.halfWidth)} (${what}); each unit must be dropped independently`,
              );
            }
          }
        });
      },
      {
        seed: ctx.seed,
        numRuns: params.runs,
        examples,
        shrink: false,
        metrics: () => ({ calls, lowestVarianceRatio: Number.isFinite(lowestVariance) ? lowestVariance : 0, highestCappedVarianceRatio: highestVariance, worstCorrelationOverBound: worstCorrelation }),
        passedMessage: () =>
          `${params.runs} runs: dropped-count variance ${fmt(lowestVariance)}–${fmt(highestVariance)} × binomial, serial correlations within ${fmt(worstCorrelation * 100)} % of their bounds, masks fresh per call and layer and independent of the input (false-reject ≤ ${params.falseReject} per run)`,
      },
    );
  },
});
