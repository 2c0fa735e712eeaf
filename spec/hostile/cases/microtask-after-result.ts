// @ts-nocheck -- a hostile submission (dropout.ts), not project code; placeholders __LIKE_THIS__ are filled in by the spec.
// category: timers
// expect: deferred
// reason: Correct on the first calls, then a promise job scheduled during a call (it would run after the reply is
//   sent) switches to the bug. What ran is what is judged: if the job ran (its marker is in the output) the
//   switch must be caught, else the fix passes.

let late = false;
let calls = 0;

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
    if (++calls === 3) Promise.resolve().then(() => {
      console.log("DEFERRED-JOB-RAN");
      late = true;
    });
    if (!this.training) return x;
    const keepProb = 1.0 - this.dropoutRate;
    const scale = late ? 1.0 / keepProb : 1.0 / Math.sqrt(keepProb);
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      out[i] = this.rng() < keepProb ? x[i] * scale : 0;
    }
    return out;
  }
}
