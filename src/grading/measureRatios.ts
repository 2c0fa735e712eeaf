import { sample } from '../../properties/index.ts';
import { runtimeFor } from '../runtime/registry.ts';
import type { TaskSpec } from '../task/loadTask.ts';

/**
 * The original task's demo figure: E[Y²]/E[X²] (the variance ratio for zero-mean input) of a layer at each rate, on
 * 200 000 standard-normal inputs, measured through the same sandbox as grading. `null` where the layer
 * could not produce a value.
 */
export async function measureRatios(spec: TaskSpec, source: string, rates: readonly number[], seed = 42): Promise<(number | null)[]> {
  const runtime = runtimeFor(spec.runtime);
  const compiled = await runtime.compile(source, spec.grader.subject.file);
  if (!compiled.ok) return rates.map(() => null);
  const started = await runtime.start(compiled.program, { limits: spec.limits, randomSeed: seed });
  if (!started.ok) {
    await started.child.dispose();
    return rates.map(() => null);
  }
  const { oracle } = started.subject;
  try {
    const x = sample('gaussian', 200_000, seed, 1);
    let sx = 0;
    for (const v of x) sx += v * v;
    // The layer's interface as the task's layer properties configure it (method, where its randomness comes from).
    const layer = spec.grader.properties.map((prop) => prop.params).find((params) => typeof params['method'] === 'string');
    const method = typeof layer?.['method'] === 'string' ? layer['method'] : 'forward';
    const globalRng = layer?.['rng'] === 'global';
    const out: (number | null)[] = [];
    for (const p of rates) {
      if (globalRng) await oracle.reseedMathRandom(seed + 1);
      const c = await oracle.construct(spec.grader.subject.export, globalRng ? [p] : [p, { rng: seed + 1 }]);
      const r = c.ok ? await oracle.call(c.handle, method, [x]) : null;
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
    await started.subject.dispose();
  }
}
