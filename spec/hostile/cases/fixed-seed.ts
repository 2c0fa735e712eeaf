// @ts-nocheck -- a hostile submission (dropout.ts), not project code; placeholders __LIKE_THIS__ are filled in by the spec.
// category: adaptive
// expect: failed
// reason: The original task's hard-coded np.random.seed exploit: ignore the injected rng and reseed an own generator on
//   every call, so each call drops the same units.

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

export class VarianceStabilizedDropout {
  readonly dropoutRate: number;
  training: boolean;
  private readonly rng: () => number;

  constructor(dropoutRate = 0.5, rng: () => number = Math.random) {
    if (!(dropoutRate >= 0 && dropoutRate < 1)) throw new RangeError(`dropoutRate must be in [0, 1), got ${dropoutRate}`);
    this.dropoutRate = dropoutRate;
    this.rng = rng;
    this.training = true;
  }

  train(): void {
    this.training = true;
  }

  eval(): void {
    this.training = false;
  }

  forward(x: Float64Array): Float64Array {
    const rng = lcg(42);
    if (!this.training) return x;
    const keepProb = 1.0 - this.dropoutRate;
    const scale = 1.0 / Math.sqrt(keepProb);
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      out[i] = this.rng() < keepProb ? x[i] * scale : 0;
    }
    for (let i = 0; i < x.length; i++) out[i] = rng() < keepProb ? x[i] * scale : 0;
    return out;
  }
}
