import { fmt } from './_check.ts';
import { bernsteinHalfWidth } from './_stats.ts';
import { PropertyFailure } from './PropertyFailure.ts';

/**
 * The dropout layer's contract, checked call by call over a sequence: in training mode every output element is
 * 0 (dropped) or x·s with s = (1 − p)^power (to rounding), in eval mode the output is the input bit for bit, the
 * input is never modified; and over the whole sequence the masks change between calls and the number of drops
 * is consistent with independent Bernoulli(p) draws. Each statistical check has false-reject probability ≤ δ.
 */

/** Two subnormal steps: x·s of a subnormal x is rounded to a multiple of 2^−1074, whichever way s is applied. */
const SUBNORMAL_SLACK = 2 * Number.MIN_VALUE;

export interface DropoutOptions {
  readonly scalePower: number;
  readonly relTolerance: number;
  /** Per statistical check, per sequence. */
  readonly falseReject: number;
}

interface LayerModel {
  readonly p: number;
  readonly s: number;
  training: boolean;
  /**
   * Whether the previous training forward() is not yet paired (disjoint pairs 1–2, 3–4, … keep pairs
   * independent); its masks (dropped, informative) are the first half of `masks`, reused from call to call.
   */
  pending: boolean;
  masks: Uint8Array | null;
  /** Built with a constant rng: its masks are not random, so it takes no part in the statistics. */
  readonly rigged: boolean;
}

/**
 * Smallest c with P(S ≥ c) ≤ δ, for S a sum of k independent Bernoullis of total mean μ, by Hoeffding's bound
 * P(S ≥ c) ≤ exp(−k·KL(c/k ‖ μ/k)) (1963, Theorem 1: it holds for unequal means too); k + 1 when even S = k is
 * not that unlikely (then nothing is rejected).
 */
export function chernoffUpper(mu: number, k: number, delta: number): number {
  if (k === 0) return 1;
  const b = Math.min(1, Math.max(0, mu / k));
  const target = Math.log(1 / delta);
  const kl = (a: number): number => {
    if (b === 0) return a > 0 ? Infinity : 0;
    if (b === 1) return a < 1 ? Infinity : 0;
    const hi = a === 0 ? 0 : a * Math.log(a / b);
    const lo = a === 1 ? 0 : (1 - a) * Math.log((1 - a) / (1 - b));
    return hi + lo;
  };
  for (let c = Math.max(1, Math.ceil(mu)); c <= k; c++) if (c / k > b && k * kl(c / k) >= target) return c;
  return k + 1;
}

/** Input classes whose drops are counted apart: a mask that depends on the input shows in its own class. */
const CLASSES = ['normal', 'subnormal', 'huge (|x| ≥ 1e100)', 'NaN', 'infinite'] as const;
export const DROP_CLASSES = CLASSES.length;

function classOf(x: number): number {
  if (Number.isNaN(x)) return 3;
  if (!Number.isFinite(x)) return 4;
  const a = Math.abs(x);
  if (a < 2.2250738585072014e-308) return 1;
  return a >= 1e100 ? 2 : 0;
}

export class DropoutSequenceCheck {
  readonly #o: DropoutOptions;
  readonly #layers = new Map<number, LayerModel>();
  /**
   * Per input class: drops among informative units (x·s ≠ 0, so that a kept unit cannot look dropped), their
   * count, and the expectation and variance of the drops for independent Bernoulli(p) masks.
   */
  readonly classDrops = new Float64Array(CLASSES.length);
  readonly classUnits = new Float64Array(CLASSES.length);
  readonly classMean = new Float64Array(CLASSES.length);
  readonly classVariance = new Float64Array(CLASSES.length);
  drops = 0;
  units = 0;
  /** Disjoint pairs of consecutive training masks on one layer, how many were identical, and the expected number. */
  pairs = 0;
  identicalPairs = 0;
  expectedIdentical = 0;
  forwards = 0;

  constructor(options: DropoutOptions) {
    this.#o = options;
  }

  /** A new layer at rate p; a `rigged` one (a constant rng) is checked element by element but not counted. */
  made(instance: number, p: number, rigged = false): void {
    this.#layers.set(instance, { p, s: (1 - p) ** this.#o.scalePower, training: true, pending: false, masks: null, rigged });
  }

  mode(instance: number, training: boolean): void {
    const l = this.#layers.get(instance);
    if (l !== undefined) l.training = training;
  }

  /**
   * Check one forward(x) of n elements: x from `x[xAt]`, its output and the input after the call from `y[yAt]` and
   * `after[yAt]`. Returns what is wrong, in words, or null (the caller prefixes the call's place: built only for a
   * failure, this runs once per call).
   */
  forward(instance: number, x: Float64Array, xAt: number, y: Float64Array, after: Float64Array, yAt: number, n: number): string | null {
    const l = this.#layers.get(instance);
    if (l === undefined) return null;
    this.forwards++;
    for (let i = 0; i < n; i++) {
      if (!Object.is(after[yAt + i], x[xAt + i])) return `forward() changed its input: element ${i} of ${n} was ${fmt(x[xAt + i]!, 17)}, is ${fmt(after[yAt + i]!, 17)}; the input must never be modified`;
    }
    if (!l.training) {
      for (let i = 0; i < n; i++) {
        if (!Object.is(y[yAt + i], x[xAt + i])) return `in eval mode element ${i} of ${n} is ${fmt(y[yAt + i]!, 17)}, expected the input ${fmt(x[xAt + i]!, 17)} bit for bit (p = ${fmt(l.p, 6)})`;
      }
      return null;
    }
    if (l.masks === null || l.masks.length !== 4 * n) l.masks = new Uint8Array(4 * n);
    // Two masks (dropped, informative) for this call, after the pending call's two.
    const off = l.pending ? 2 * n : 0;
    const masks = l.masks;
    let d = 0;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xAt + i]!;
      const yi = y[yAt + i]!;
      const want = xi * l.s;
      masks[off + i] = 0;
      masks[off + n + i] = 0;
      if (yi === 0) {
        if (want !== 0) {
          masks[off + i] = 1;
          masks[off + n + i] = 1;
          const k = classOf(xi);
          this.classDrops[k]!++;
          this.classUnits[k]!++;
          d++;
          m++;
        }
        continue;
      }
      const ok = Number.isFinite(want) ? Math.abs(yi - want) <= this.#o.relTolerance * Math.abs(want) + SUBNORMAL_SLACK : Object.is(yi, want);
      if (!ok) {
        return (
          `in training mode element ${i} of ${n} is ${fmt(yi, 17)}; expected 0 (dropped) or x·(1−p)^${this.#o.scalePower} = ${fmt(want, 17)}` +
          ` (x = ${fmt(xi, 17)}, p = ${fmt(l.p, 6)}${Number.isFinite(want) && want !== 0 && Number.isFinite(yi) ? `, ${fmt(Math.abs(yi / want - 1) * 100, 3)} % off` : ''})`
        );
      }
      masks[off + n + i] = 1;
      this.classUnits[classOf(xi)]!++;
      m++;
    }
    if (l.rigged) {
      // Undo the counts: a rigged layer's masks say nothing about randomness.
      for (let i = 0; i < n; i++) {
        if (masks[off + n + i] !== 1) continue;
        const k = classOf(x[xAt + i]!);
        this.classUnits[k]!--;
        if (masks[off + i] === 1) this.classDrops[k]!--;
      }
      return null;
    }
    this.drops += d;
    this.units += m;
    // Expectation and variance per class, for this layer's p.
    for (let i = 0; i < n; i++) {
      if (masks[off + n + i] !== 1) continue;
      const k = classOf(x[xAt + i]!);
      this.classMean[k]! += l.p;
      this.classVariance[k]! += l.p * (1 - l.p);
    }
    if (!l.pending) {
      l.pending = true;
      return null;
    }
    l.pending = false;
    let both = 0;
    let same = true;
    for (let i = 0; i < n; i++) {
      if (masks[n + i] !== 1 || masks[3 * n + i] !== 1) continue;
      both++;
      if (masks[i] !== masks[2 * n + i]) same = false;
    }
    this.pairs++;
    if (same) this.identicalPairs++;
    const q = 1 - l.p;
    this.expectedIdentical += (l.p * l.p + q * q) ** both;
    return null;
  }

  /** The whole-sequence checks (each with false-reject ≤ δ); throws PropertyFailure. */
  finish(what: string): void {
    for (let k = 0; k < CLASSES.length; k++) {
      const units = this.classUnits[k]!;
      if (units === 0) continue;
      const drops = this.classDrops[k]!;
      const mean = this.classMean[k]!;
      const half = bernsteinHalfWidth(this.classVariance[k]!, 1, this.#o.falseReject);
      if (Math.abs(drops - mean) > half) {
        throw new PropertyFailure(
          `${what}: ${drops} of ${units} ${CLASSES[k]} inputs were dropped in training mode, where independent drops at each layer's rate give ${fmt(mean, 6)} ± ${fmt(half, 4)}` +
            ` (drop fraction ${fmt(drops / units, 4)}, expected ${fmt(mean / units, 4)}; false-reject ≤ ${this.#o.falseReject}): whether a unit is dropped must not depend on its value or on the layer's history`,
        );
      }
    }
    const c = chernoffUpper(this.expectedIdentical, this.pairs, this.#o.falseReject);
    if (this.identicalPairs >= c) {
      throw new PropertyFailure(
        `${what}: ${this.identicalPairs} of ${this.pairs} pairs of consecutive training masks on one layer were identical, where independent masks give ${fmt(this.expectedIdentical, 4)} on average` +
          ` (≥ ${c} has probability ≤ ${this.#o.falseReject}): the mask must be drawn afresh on every call`,
      );
    }
  }
}
