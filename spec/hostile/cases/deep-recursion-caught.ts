// @ts-nocheck -- a hostile submission (dropout.ts), not project code; placeholders __LIKE_THIS__ are filled in by the spec.
// category: recursion
// expect: passed
// reason: Harmless: a correct fix that recurses to the stack limit and catches it, on each of its first 500
//   calls (a stack overflow costs about a millisecond, so on all 10,600 calls of the dropout sequences it would
//   fail on the time budget instead); the child survives.

let calls = 0;
function down(n: number): number {
  return down(n + 1) + 1;
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
    if (++calls <= 500) {
      try {
        down(0);
      } catch {}
    }
    if (!this.training) return x;
    const keepProb = 1.0 - this.dropoutRate;
    const scale = 1.0 / Math.sqrt(keepProb);
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      out[i] = this.rng() < keepProb ? x[i] * scale : 0;
    }
    return out;
  }
}
