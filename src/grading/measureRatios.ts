import { sample } from '../../properties/_distributions.ts';
import { Oracle } from '../sandbox/Oracle.ts';
import { Sandbox } from '../sandbox/Sandbox.ts';
import { transpileModule } from '../runtime/typescript/transpile.ts';
import type { TaskSpec } from '../task/loadTask.ts';
import { sandboxOptions } from './gradeWorkspace.ts';

/**
 * The original task's demo figure: E[Y²]/E[X²] (the variance ratio for zero-mean input) of a layer at each rate, on
 * 200 000 standard-normal inputs, measured through the same sandbox as grading. `null` where the layer
 * could not produce a value.
 */
export async function measureRatios(spec: TaskSpec, source: string, rates: readonly number[], seed = 42): Promise<(number | null)[]> {
  const compiled = transpileModule(source, spec.grader.subject.file);
  if (!compiled.ok) return rates.map(() => null);
  const sandbox = await Sandbox.start(sandboxOptions(spec));
  try {
    const loaded = await sandbox.load(compiled.code, spec.grader.subject.file, seed, spec.limits.timeMs);
    if (!loaded.ok) return rates.map(() => null);
    const oracle = new Oracle(sandbox, performance.now() + spec.limits.timeMs);
    const x = sample('gaussian', 200_000, seed, 1);
    let sx = 0;
    for (const v of x) sx += v * v;
    const out: (number | null)[] = [];
    for (const p of rates) {
      const c = await oracle.construct(spec.grader.subject.export, [p, { rng: seed + 1 }]);
      const r = c.ok ? await oracle.call(c.handle, 'forward', [x]) : null;
      if (r === null || !r.ok || r.value.type !== 'typed' || r.value.value.length !== x.length) {
        out.push(null);
        continue;
      }
      let sy = 0;
      for (const v of r.value.value) sy += v * v;
      out.push(sy / sx);
    }
    return out;
  } catch {
    return rates.map(() => null);
  } finally {
    await sandbox.dispose();
  }
}
