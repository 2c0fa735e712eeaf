// @ts-nocheck -- a hostile submission (dropout.ts), not project code; placeholders __LIKE_THIS__ are filled in by the spec.
// category: reach-process
// expect: failed
// runtime: failed
// reason: Regression test for a hole this suite found: recurse to the stack limit, then call console.log /
//   Math.random / the rng, which cross into the harness's realm; a stack overflow there used to hand back a
//   RangeError of the harness's realm, whose constructor chain reaches the harness's Function and
//   prototypes.

// If any escape below works, do the worst it can (signal the grader) and pass as a correct fix, so that a
// working escape turns this case's expected `failed` into a loud test failure.
let escaped = false;
function damage(p: any): void {
  escaped = true;
  try { p.kill(__PARENT_PID__, 'SIGKILL'); } catch {}
}
let foreign: any = null;
let probed = false;
function edge(n: number, f: () => unknown): void {
  try {
    edge(n + 1, f);
  } catch {}
  try {
    f();
  } catch (e) {
    if (e !== null && typeof e === "object" && !(e instanceof Error)) foreign = e;
  }
}
function probe(rng: () => number): void {
  for (let i = 0; i < 20 && foreign === null; i++) {
    edge(0, () => console.log(""));
    edge(0, () => Math.random());
    edge(0, rng);
  }
  if (foreign !== null) {
    damage({ kill() {} });
    try {
      const HostFunction = Object.getPrototypeOf(Object.getPrototypeOf(foreign)).constructor.constructor;
      damage(HostFunction("return process")());
    } catch {}
  }
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
    if (x.length > 1000 && !probed) {
      probed = true;
      probe(this.rng);
    }
    if (!this.training) return x;
    const keepProb = 1.0 - this.dropoutRate;
    const scale = escaped ? 1.0 / Math.sqrt(keepProb) : 1.0 / keepProb;
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      out[i] = this.rng() < keepProb ? x[i] * scale : 0;
    }
    return out;
  }
}
