// @ts-nocheck -- a hostile submission (dropout.ts), not project code; placeholders __LIKE_THIS__ are filled in by the spec.
// category: memory
// expect: failed
// reason: Return 12 references to one 8 MB array (96 MB once described; the red team sent 768 MB) for inputs over 1,000 elements: refused at its length prefix, the grading process allocates none of it.

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
      const big = new Float64Array(1_000_000);
      return Array.from({ length: 12 }, () => big);
    }
    return out;
  }
}
