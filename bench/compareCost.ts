/**
 * `npm run bench:cost -- --against REV [--task FILE] [--rounds N]`: the CPU one grade costs with this checkout's
 * grader and task file next to the grader and task file of another revision, measured side by side in one process
 * on one machine, alternating, so that a drift of the machine's speed hits both alike.
 *
 * The other revision is checked out into a temporary git worktree (node_modules linked from this checkout), and
 * both graders are imported into this process: each grade's CPU is this process's (the parent: properties,
 * statistics, static checks) plus its sandbox child's, read from /proc just before the child is disposed. Each
 * revision grades the same workspaces: copies of its own task's reference solution and planted bug.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Sandbox, SandboxOptions } from '../src/sandbox/Sandbox.ts';
import { tuneV8 } from '../src/startup/tuneV8.ts';
import { recordChildCpu, selfCpuMs } from './_procCpu.ts';
import { median } from './_timing.ts';

tuneV8();

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: { against: { type: 'string' }, task: { type: 'string', default: 'tasks/variance-dropout.yaml' }, rounds: { type: 'string', default: '15' } },
});
if (values.against === undefined) {
  process.stderr.write('usage: npm run bench:cost -- --against REV [--task tasks/variance-dropout.yaml] [--rounds 15]\n');
  process.exit(2);
}
const rounds = z.coerce.number().int().min(1).max(1000).parse(values.rounds);

/** A function of a module (or a static method of a class) imported at run time, checked before it is called. */
function exported(mod: unknown, name: string): (...args: unknown[]) => unknown {
  const f: unknown = (typeof mod === 'object' && mod !== null) || typeof mod === 'function' ? Reflect.get(mod, name) : undefined;
  if (typeof f !== 'function') throw new Error(`${name} is not exported as a function`);
  return (...args) => Reflect.apply(f, mod, args);
}

const fixturesShape = z.object({ correct: z.array(z.string()).min(1), buggy: z.array(z.string()).min(1), cleanup: z.unknown() });
const resultShape = z.object({ status: z.string() });

interface Grader {
  readonly label: string;
  readonly grade: (dir: string, seed: number) => Promise<{ status: string }>;
  readonly childCpu: number[];
  readonly correct: string;
  readonly buggy: string;
}

/** A checkout's grader, its task file and its fixtures, with its sandboxes' CPU recorded. */
async function graderAt(label: string, root: string, cleanups: (() => Promise<unknown>)[]): Promise<Grader> {
  const imp = (p: string): Promise<unknown> => import(pathToFileURL(path.join(root, p)).href);
  const gradeWorkspace = exported(await imp('src/grading/gradeWorkspace.ts'), 'gradeWorkspace');
  const loadTask = exported(await imp('src/task/loadTask.ts'), 'loadTask');
  const startSandbox = exported(Reflect.get(z.object({ Sandbox: z.unknown() }).parse(await imp('src/sandbox/Sandbox.ts')), 'Sandbox'), 'start');
  const makeFixtures = exported(await imp('bench/_fixtures.ts'), 'makeFixtures');
  const spec = await loadTask(path.join(root, values.task!));
  const fixtures = await makeFixtures(spec, 1, 1);
  const { correct, buggy } = fixturesShape.parse(fixtures);
  cleanups.push(async () => exported(fixtures, 'cleanup')());
  const rec = recordChildCpu(async (options: SandboxOptions) => z.custom<Sandbox>((s) => typeof s === 'object' && s !== null).parse(await startSandbox(options)));
  return {
    label,
    grade: async (dir, seed) => resultShape.parse(await gradeWorkspace(spec, dir, { seed, startSandbox: rec.start })),
    childCpu: rec.samples,
    correct: correct[0]!,
    buggy: buggy[0]!,
  };
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'rltask-cost-'));
  const other = path.join(scratch, 'other');
  const cleanups: (() => Promise<unknown>)[] = [];
  execFileSync('git', ['worktree', 'add', '--detach', other, values.against!], { cwd: ROOT, stdio: 'ignore' });
  try {
    await symlink(path.join(ROOT, 'node_modules'), path.join(other, 'node_modules'));
    const graders = [await graderAt(values.against!, other, cleanups), await graderAt('this checkout', ROOT, cleanups)];
    const cpu = new Map<string, { correct: number[]; buggy: number[] }>(graders.map((g) => [g.label, { correct: [], buggy: [] }]));
    for (let r = -2; r < rounds; r++) {
      for (const g of r % 2 === 0 ? graders : [...graders].reverse()) {
        for (const kind of ['correct', 'buggy'] as const) {
          const before = selfCpuMs();
          const res = await g.grade(kind === 'correct' ? g.correct : g.buggy, 1000 + r);
          const parent = selfCpuMs() - before;
          const child = g.childCpu.at(-1) ?? 0;
          if (res.status !== (kind === 'correct' ? 'passed' : 'failed')) throw new Error(`${g.label} ${kind}: ${res.status}`);
          if (r >= 0) cpu.get(g.label)![kind].push(parent + child);
        }
      }
    }
    const [base, now] = graders.map((g) => cpu.get(g.label)!);
    const line = (kind: 'correct' | 'buggy'): string => {
      const a = median(base![kind]);
      const b = median(now![kind]);
      return `${kind.padEnd(8)} ${a.toFixed(0).padStart(6)} ms  ${b.toFixed(0).padStart(6)} ms  ${(b / a).toFixed(2)}×`;
    };
    process.stdout.write(
      `CPU per grade (parent + sandbox child, median of ${rounds} alternating rounds, ${values.task})\n` +
        `grade    ${values.against!.slice(0, 9).padStart(9)}  this checkout  ratio\n${line('correct')}\n${line('buggy')}\n`,
    );
  } finally {
    for (const c of cleanups) await c();
    execFileSync('git', ['worktree', 'remove', '--force', other], { cwd: ROOT, stdio: 'ignore' });
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
