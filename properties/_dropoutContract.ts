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
}

/** Smallest c ≥ 1 with P(S ≥ c) ≤ δ for S a sum of independent Bernoullis of mean μ (Chernoff: e^−μ (eμ/c)^c). */
export function chernoffUpper(mu: number, delta: number): number {
  if (mu <= 0) return 1;
  const logDelta = Math.log(delta);
  let c = Math.max(1, Math.ceil(mu));
  while (-mu + c * (1 + Math.log(mu) - Math.log(c)) > logDelta) c++;
  return c;
}

export class DropoutSequenceCheck {
  readonly #o: DropoutOptions;
  readonly #layers = new Map<number, LayerModel>();
  /** Drops among informative units (x·s ≠ 0, so that a kept unit cannot look dropped), their expectation and variance. */
  drops = 0;
  expectedDrops = 0;
  dropVariance = 0;
  units = 0;
  /** Disjoint pairs of consecutive training masks on one layer, how many were identical, and the expected number. */
  pairs = 0;
  identicalPairs = 0;
  expectedIdentical = 0;
  forwards = 0;

  constructor(options: DropoutOptions) {
    this.#o = options;
  }

  made(instance: number, p: number): void {
    this.#layers.set(instance, { p, s: (1 - p) ** this.#o.scalePower, training: true, pending: false, masks: null });
  }

  mode(instance: number, training: boolean): void {
    const l = this.#layers.get(instance);
    if (l !== undefined) l.training = training;
  }

  /**
   * Check one forward(x): its output `y` and its input after the call. Returns what is wrong, in words, or null
   * (the caller prefixes the call's place: built only for a failure, this runs once per call).
   */
  forward(instance: number, x: Float64Array, y: Float64Array, after: Float64Array): string | null {
    const l = this.#layers.get(instance);
    if (l === undefined) return null;
    this.forwards++;
    const n = x.length;
    for (let i = 0; i < n; i++) {
      if (!Object.is(after[i], x[i])) return `forward() changed its input: element ${i} of ${n} was ${fmt(x[i]!, 17)}, is ${fmt(after[i]!, 17)}; the input must never be modified`;
    }
    if (!l.training) {
      for (let i = 0; i < n; i++) {
        if (!Object.is(y[i], x[i])) return `in eval mode element ${i} of ${n} is ${fmt(y[i]!, 17)}, expected the input ${fmt(x[i]!, 17)} bit for bit (p = ${fmt(l.p, 6)})`;
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
      const xi = x[i]!;
      const yi = y[i]!;
      const want = xi * l.s;
      masks[off + i] = 0;
      masks[off + n + i] = 0;
      if (yi === 0) {
        if (want !== 0) {
          masks[off + i] = 1;
          masks[off + n + i] = 1;
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
      m++;
    }
    this.drops += d;
    this.units += m;
    this.expectedDrops += m * l.p;
    this.dropVariance += m * l.p * (1 - l.p);
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

  /** The whole-sequence checks; throws PropertyFailure. */
  finish(what: string): void {
    const c = chernoffUpper(this.expectedIdentical, this.#o.falseReject);
    if (this.identicalPairs >= c) {
      throw new PropertyFailure(
        `${what}: ${this.identicalPairs} of ${this.pairs} pairs of consecutive training masks on one layer were identical, where independent masks give ${fmt(this.expectedIdentical, 4)} on average` +
          ` (≥ ${c} has probability ≤ ${this.#o.falseReject}): the mask must be drawn afresh on every call`,
      );
    }
    const half = bernsteinHalfWidth(this.dropVariance, 1, this.#o.falseReject);
    if (Math.abs(this.drops - this.expectedDrops) > half) {
      throw new PropertyFailure(
        `${what}: ${this.drops} of ${this.units} units were dropped in training mode, where independent drops at each layer's rate give ${fmt(this.expectedDrops, 6)} ± ${fmt(half, 4)}` +
          ` (drop fraction ${fmt(this.drops / Math.max(1, this.units), 4)}, expected ${fmt(this.expectedDrops / Math.max(1, this.units), 4)}; false-reject ≤ ${this.#o.falseReject})`,
      );
    }
  }
}
