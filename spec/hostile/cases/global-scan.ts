// @ts-nocheck -- a hostile submission (dropout.ts), not project code; placeholders __LIKE_THIS__ are filled in by the spec.
// category: reach-process
// expect: failed
// reason: Top-level `this` in sloppy code is the realm's global: look there (and on console, and on the module
//   objects) for process, require, Buffer, fetch, timers or anything Node-specific.

// If any escape below works, do the worst it can (signal the grader) and pass as a correct fix, so that a
// working escape turns this case's expected `failed` into a loud test failure.
let escaped = false;
function damage(p: any): void {
  escaped = true;
  try { p.kill(__PARENT_PID__, 'SIGKILL'); } catch {}
}
// A sloppy function called without a receiver gets the realm's global object as `this`.
const globalObject = function (this: any) {
  return this;
};
const wanted = ["process", "require", "Buffer", "fetch", "setTimeout", "setImmediate", "queueMicrotask", "WebAssembly", "global", "module", "exports", "__dirname", "navigator", "XMLHttpRequest", "WebSocket"];
const g: any = globalObject();
for (const name of wanted) {
  const v = name === "WebAssembly" ? undefined : g[name];
  if (v !== undefined && name !== "module" && name !== "exports") damage(v);
}
for (const k of Object.getOwnPropertyNames(console)) {
  const v: any = (console as any)[k];
  if (typeof v !== "function") damage(v);
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
