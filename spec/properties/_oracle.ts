import { Oracle } from '../../src/sandbox/Oracle.ts';
import { Sandbox } from '../../src/sandbox/Sandbox.ts';
import type { PropertyContext, ReferenceSolution } from '../../properties/PropertyContract.ts';
import { referenceSolution } from '../../src/grading/referenceSolution.ts';
import { typescriptRuntime } from '../../src/runtime/typescript/typescriptRuntime.ts';
import { transpileModule } from '../../src/runtime/typescript/transpile.ts';

/** The dropout layer as a template; `scale`, `keep` and `evalBody` vary per variant. */
export function layer(opts: { scale?: string; keep?: string; evalBody?: string; extra?: string } = {}): string {
  return `export class VarianceStabilizedDropout {
  constructor(dropoutRate = 0.5, rng = Math.random) {
    if (!(dropoutRate >= 0 && dropoutRate < 1)) throw new RangeError('bad rate');
    this.dropoutRate = dropoutRate; this.rng = rng; this.training = true;
  }
  train() { this.training = true; }
  eval() { this.training = false; }
  forward(x) {
    if (!this.training) ${opts.evalBody ?? 'return x;'}
    const keepProb = 1.0 - this.dropoutRate;
    const scale = ${opts.scale ?? '1 / Math.sqrt(keepProb)'};
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = ${opts.keep ?? 'this.rng() < keepProb'} ? x[i] * scale : 0;
    ${opts.extra ?? ''}
    return out;
  }
}`;
}

/** Load `source` in a real sandbox and hand a property context to `fn`. */
export async function withOracle<T>(source: string, fn: (ctx: PropertyContext) => Promise<T>, seed = 1234): Promise<T> {
  const compiled = transpileModule(source, 'dropout.ts');
  if (!compiled.ok) throw new Error(compiled.message);
  const sandbox = await Sandbox.start({ memoryMb: 512, outputBytes: 4096, cpuSeconds: 30 });
  try {
    const loaded = await sandbox.load(compiled.code, 'dropout.ts', seed, 10_000);
    if (!loaded.ok) throw new Error(`${loaded.thrown.name}: ${loaded.thrown.message}`);
    return await fn({ oracle: new Oracle(sandbox, performance.now() + 60_000), subject: 'VarianceStabilizedDropout', seed });
  } finally {
    await sandbox.dispose();
  }
}

/** A reference solution from source, started on first use as a grade starts one. */
export function referenceFrom(source: string, file: string, limits: { timeMs: number; memoryMb: number; outputBytes: number }): { solution: ReferenceSolution; dispose(): Promise<void> } {
  return referenceSolution({ taskId: 'spec', file, source, limits }, typescriptRuntime, 1);
}
