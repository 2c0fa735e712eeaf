// @ts-nocheck -- a hostile submission (dropout.ts), not project code; placeholders __LIKE_THIS__ are filled in by the spec.
// category: reach-process
// expect: failed
// reason: Error.prepareStackTrace receives CallSites; getThis()/getFunction() expose receivers of sloppy frames. A
//   sloppy getter the harness calls (the thrown error's name) puts harness frames on the stack; they must be
//   hidden (strict).

// If any escape below works, do the worst it can (signal the grader) and pass as a correct fix, so that a
// working escape turns this case's expected `failed` into a loud test failure.
let escaped = false;
function damage(p: any): void {
  escaped = true;
  try { p.kill(__PARENT_PID__, 'SIGKILL'); } catch {}
}
Error.prepareStackTrace = (_e: unknown, sites: any[]) => {
  for (const s of sites) {
    const t = s.getThis();
    const f = s.getFunction();
    if (t && typeof t.kill === "function") damage(t);
    if (t && t.process) damage(t.process);
    if (typeof f === "function" && Object.getPrototypeOf(f) !== ownFunctionPrototype) damage({ kill() {} });
  }
  return "";
};
const ownFunctionPrototype = Object.getPrototypeOf(Math.max);
function sloppyName(this: any) {
  void new Error("probe").stack;
  return "Error";
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
    if (!escaped) {
      const e = new Error("probe");
      Object.defineProperty(e, "name", { get: sloppyName });
      if (Math.random() < 0.02) throw e;
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
