import { resolveProperty } from '../properties/registry.ts';
import { deriveSeed } from '../src/grading/deriveSeed.ts';
import { referenceCodeOf, referenceSolution } from '../src/grading/referenceSolution.ts';
import { runtimeFor } from '../src/runtime/registry.ts';
import { sandboxOptions } from '../src/grading/gradeWorkspace.ts';
import { runStaticChecks } from '../src/runtime/typescript/staticChecks.ts';
import { Oracle } from '../src/sandbox/Oracle.ts';
import { Sandbox } from '../src/sandbox/Sandbox.ts';
import { transpile, transpileModule } from '../src/runtime/typescript/transpile.ts';
import type { TaskSpec } from '../src/task/loadTask.ts';
import type { Fixtures } from './_fixtures.ts';
import { selfCpuMs, treeCpuMs } from './_procCpu.ts';
import { type Figure, measure, median } from './_timing.ts';

/**
 * Where one grade of the reference solution spends its time, step by step, warm (modules loaded): starting a
 * sandbox child, transpiling, the AST checks, loading the module in the child, and every property. Property
 * figures also split CPU time between this process (statistics, input generation, decoding) and the child (the
 * submission's code, encoding its replies).
 */
export async function costSplit(spec: TaskSpec, fx: Fixtures, iterations: number): Promise<Figure[]> {
  const group = 'cost split (reference solution, warm)';
  const options = sandboxOptions(spec);
  const file = spec.grader.subject.file;
  const compiled = transpileModule(fx.referenceSource, file);
  if (!compiled.ok) throw new Error(`the reference solution does not transpile: ${compiled.message}`);
  const code = compiled.code;
  const figures: Figure[] = [];

  let sandbox: Sandbox | undefined;
  let childCpu: number[] = [];
  const dispose = async (): Promise<void> => {
    if (sandbox === undefined) return;
    const s = sandbox;
    sandbox = undefined;
    await s.dispose();
  };

  figures.push(
    await measure(group, 'sandbox start (spawn → ready)', async () => {
      sandbox = await Sandbox.start(options);
    }, { iterations, warmup: 1, afterEach: async () => {
      const pid = sandbox?.pid;
      if (pid !== undefined) childCpu.push(treeCpuMs(pid));
      await dispose();
    } }),
  );
  figures[figures.length - 1] = { ...figures[figures.length - 1]!, extra: { childCpuMs: median(childCpu) } };

  figures.push(await measure(group, 'transpile (esbuild)', () => transpile(fx.referenceSource, file), { iterations: iterations * 4, warmup: 2 }));
  figures.push(
    await measure(group, 'AST checks (TypeScript syntax tree)', () => runStaticChecks({ files: fx.referenceFiles, subject: spec.grader.subject, checks: spec.grader.ast }), {
      iterations: iterations * 2,
      warmup: 2,
    }),
  );
  figures.push(
    await measure(group, 'load module in the child', async () => {
      const r = await sandbox!.load(code, file, 1, spec.limits.timeMs);
      if (!r.ok) throw new Error(`load failed: ${r.thrown.message}`);
    }, {
      iterations,
      warmup: 1,
      beforeEach: async () => {
        sandbox = await Sandbox.start(options);
      },
      afterEach: dispose,
    }),
  );

  for (const property of spec.grader.properties) {
    let oracle: Oracle | undefined;
    let childAtStart = 0;
    const parentCpu: number[] = [];
    childCpu = [];
    let failed = '';
    const figure = await measure(
      group,
      `property ${property.id}`,
      async () => {
        const before = selfCpuMs();
        const reference = referenceSolution(referenceCodeOf(spec), runtimeFor(spec.runtime), deriveSeed(spec.grader.seed, 'reference'));
        const outcome = await resolveProperty(property)
          .run({ oracle: oracle!, subject: spec.grader.subject.export, seed: deriveSeed(spec.grader.seed, property.id), reference: reference.solution })
          .finally(() => reference.dispose());
        parentCpu.push(selfCpuMs() - before);
        if (!outcome.passed) failed = outcome.message;
      },
      {
        iterations,
        warmup: 1,
        beforeEach: async () => {
          sandbox = await Sandbox.start(options);
          const r = await sandbox.load(code, file, deriveSeed(spec.grader.seed, 'Math.random'), spec.limits.timeMs);
          if (!r.ok) throw new Error(`load failed: ${r.thrown.message}`);
          oracle = new Oracle(sandbox, performance.now() + spec.limits.timeMs);
          childAtStart = treeCpuMs(sandbox.pid!);
        },
        afterEach: async () => {
          if (sandbox?.pid !== undefined) childCpu.push(treeCpuMs(sandbox.pid) - childAtStart);
          await dispose();
        },
      },
    );
    if (failed !== '') throw new Error(`the reference solution failed ${property.id}: ${failed}`);
    // The last `iterations` entries belong to the measured phase (warmup pushes first).
    figures.push({
      ...figure,
      extra: { parentCpuMs: median(parentCpu.slice(-iterations)), childCpuMs: median(childCpu.slice(-iterations)), requests: oracle?.requests ?? 0, roundTrips: oracle?.roundTrips ?? 0 },
    });
  }
  return figures;
}
