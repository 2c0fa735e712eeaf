// @ts-nocheck -- a hostile submission (dropout.ts), not project code; placeholders __LIKE_THIS__ are filled in by the spec.
// category: evasive
// expect: failed
// runtime: failed
// reason: `class … extends Function` and `extends (globalThis as any).X`: TypeScript parses an extends clause as a
//   type (ExpressionWithTypeArguments), but it is evaluated at run time. The policy once let both through as
//   "type positions"; at run time code generation from strings is off, so the forged scale below never loads.

class Gen extends Function {}
const Base = class extends (globalThis as any).Object {};
// Built from a string so that no static check sees the scale: 1/sqrt(q) if code generation worked.
const scaleOf = new Gen('q', 'return 1 / Math.sqrt(q)') as (q: number) => number;

export class VarianceStabilizedDropout extends Base {
  readonly dropoutRate: number;
  training: boolean;
  private readonly rng: () => number;

  constructor(dropoutRate = 0.5, rng: () => number = Math.random) {
    super();
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
    const scale = scaleOf(keepProb);
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      out[i] = this.rng() < keepProb ? x[i] * scale : 0;
    }
    return out;
  }
}
