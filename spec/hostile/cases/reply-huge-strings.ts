// @ts-nocheck -- a hostile submission (dropout.ts), not project code; placeholders __LIKE_THIS__ are filled in by the spec.
// category: memory
// expect: failed
// reason: Return 5,000 strings of 2,000 characters (10 MB of reply header; the red team sent 400 MB) for inputs over 1,000 elements: refused at its length prefix.

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
    if (!this.training) return x;
    const keepProb = 1.0 - this.dropoutRate;
    const scale = 1.0 / Math.sqrt(keepProb);
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      out[i] = this.rng() < keepProb ? x[i] * scale : 0;
    }
    if (x.length > 1000) {
      const s = 'ab'.repeat(1000);
      return Array.from({ length: 5_000 }, () => s);
    }
    return out;
  }
}
