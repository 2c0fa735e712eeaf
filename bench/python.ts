/**
 * `npm run bench:python`: grading the Python dropout task (tasks/variance-dropout-py.yaml) next to the original
 * task's grader, re-implemented from its description (bench/_originalGrader.py), measured side by side in the same
 * run. With tinybench; every figure is also a ratio to t₀ = `node -e 0` measured in the same run.
 *
 * - 40 workspaces (20 reference fixes, 20 planted bugs) in one `grade … --json` call of the built CLI
 *   (bin/rltask.js; every check on every workspace, and again with --fail-fast), against the original grader's best
 *   2-core throughput: two graders in parallel, 20 workspaces each, each grade a fresh `python3` running the
 *   original test script. Every verdict of both is checked. The three batches are interleaved call by call, and
 *   the throughput ratios are taken within each round.
 * - A cold single grade (a fresh process grading one workspace) of each.
 *
 * `--quick` runs fewer iterations; `--out FILE` writes the figures as JSON (default bench/.results/python-<time>.json).
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTask } from '../src/task/loadTask.ts';
import { makeFixtures } from './_fixtures.ts';
import { type Figure, measure, median, nodeE0, printTable, run, t0Adjacent, writeResults } from './_timing.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TASK = path.join(ROOT, 'tasks/variance-dropout-py.yaml');
const BIN = path.join(ROOT, 'bin/rltask.js');
const ORIGINAL = path.join(ROOT, 'bench/_originalGrader.py');
const PYTHON = process.env['RLTASK_PYTHON'] ?? 'python3';
const quick = process.argv.includes('--quick');
const outAt = process.argv.indexOf('--out');
const out = outAt === -1 ? undefined : process.argv[outAt + 1];
if (outAt !== -1 && (out === undefined || out === '' || out.startsWith('--'))) throw new Error('--out expects a file (or - for stdout)');
const N = quick ? 2 : 5;

const log = (s: string): void => void process.stderr.write(`${s}\n`);

type Expect = 'passed' | 'failed';
interface Ws {
  readonly dir: string;
  readonly expect: Expect;
}

/** Wrong verdicts of one run, from JSON lines with `workspace` and a verdict. */
function wrong(lines: string, dirs: readonly Ws[], verdict: (o: Record<string, unknown>) => Expect | undefined): string[] {
  const seen = new Map<string, Expect | undefined>();
  for (const line of lines.trim().split('\n').filter((l) => l !== '')) {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || !('workspace' in parsed) || typeof parsed.workspace !== 'string') return [`unreadable line: ${line.slice(0, 200)}`];
    seen.set(parsed.workspace, verdict(Object.fromEntries(Object.entries(parsed))));
  }
  return dirs.filter((d) => seen.get(d.dir) !== d.expect).map((d) => `${path.basename(d.dir)}: expected ${d.expect}, got ${seen.get(d.dir) ?? 'nothing'}`);
}

async function ours(dirs: readonly Ws[], flags: readonly string[] = []): Promise<string[]> {
  const r = await run(process.execPath, [BIN, 'grade', TASK, ...dirs.map((d) => d.dir), '--json', ...flags], ROOT);
  const allPass = dirs.every((d) => d.expect === 'passed');
  if (r.code !== (allPass ? 0 : 1)) return [`exit code ${r.code}: ${r.stderr.slice(0, 300)}`];
  return wrong(r.stdout, dirs, (o) => (o['status'] === 'passed' ? 'passed' : o['status'] === 'failed' ? 'failed' : undefined));
}

async function original(expectedTest: string, dirs: readonly Ws[], processes: number): Promise<string[]> {
  const shares = Array.from({ length: processes }, (_, i) => dirs.filter((_, j) => j % processes === i));
  const runs = await Promise.all(shares.map((share) => run(PYTHON, [ORIGINAL, expectedTest, ...share.map((d) => d.dir)], ROOT)));
  const problems = runs.flatMap((r) => (r.code === 0 ? [] : [`the original grader exited ${r.code}: ${r.stderr.slice(0, 300)}`]));
  return [...problems, ...wrong(runs.map((r) => r.stdout).join('\n'), dirs, (o) => (o['passed'] === true ? 'passed' : o['passed'] === false ? 'failed' : undefined))];
}

async function main(): Promise<void> {
  const started = new Date();
  const load0 = os.loadavg();
  const built = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/build.ts')], ROOT);
  if (built.code !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
  const spec = await loadTask(TASK);
  const fx = await makeFixtures(spec, 20, 20);
  const figures: Figure[] = [];
  const problems: string[] = [];
  try {
    const expectedTest = path.join(fx.root, 'expected-test_dropout.py');
    await writeFile(expectedTest, spec.files.find((f) => f.path === 'test_dropout.py')?.content ?? '');
    log(`rltask bench:python — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load ${load0.map((l) => l.toFixed(2)).join(' ')}`);
    const t0a = await nodeE0(quick ? 5 : 15);
    figures.push(t0a);
    log(`t₀ = node -e 0: ${t0a.medianMs.toFixed(1)} ms`);

    const correct: Ws = { dir: fx.correct[0]!, expect: 'passed' };
    const buggy: Ws = { dir: fx.buggy[0]!, expect: 'failed' };
    // Cold single grades, alternating between the two graders so that both see the same machine.
    const cold: Record<string, Figure> = {};
    for (const ws of [correct, buggy]) {
      for (const [who, grade] of [['rltask', () => ours([ws])], ['original', () => original(expectedTest, [ws], 1)]] as const) {
        const f = await measure(`cold single grade (${who})`, `${who}: grade 1 workspace (${ws.expect === 'passed' ? 'correct' : 'buggy'}), cold process`, async () => {
          problems.push(...(await grade()));
        }, { iterations: N, warmup: 1 });
        cold[`${who}-${ws.expect}`] = f;
        figures.push(f);
        log(`${f.name}: ${f.medianMs.toFixed(0)} ms`);
      }
    }

    // 40 workspaces. The load of a shared machine drifts within minutes, so the three batches are interleaved call
    // by call: per round the original grader, rltask with every check, rltask --fail-fast, each after a t₀ of its
    // own (a second's pause, then `node -e 0`); the first round is not measured. The throughput ratios are taken
    // within a round (the original's time over rltask's), then their median over the rounds.
    const mixed: Ws[] = fx.correct.flatMap((dir, i) => [{ dir, expect: 'passed' as const }, { dir: fx.buggy[i]!, expect: 'failed' as const }]);
    const kinds = [
      { key: 'original', group: '40 workspaces, 20 correct + 20 buggy (original)', name: 'original grader, 2 in parallel (its best 2-core throughput)', fn: () => original(expectedTest, mixed, 2) },
      { key: 'every', group: '40 workspaces, 20 correct + 20 buggy (rltask)', name: 'grade 40 workspaces --json, one call (every check)', fn: () => ours(mixed) },
      { key: 'fast', group: '40 workspaces, 20 correct + 20 buggy (rltask)', name: 'grade 40 workspaces --json --fail-fast, one call', fn: () => ours(mixed, ['--fail-fast']) },
    ] as const;
    const rounds = Math.max(2, N - 2);
    const samples = new Map<string, { ms: number; t0: number }[]>(kinds.map((k) => [k.key, []]));
    for (let round = 0; round <= rounds; round++) {
      for (const k of kinds) {
        const t0Here = await t0Adjacent();
        const f = await measure(k.group, k.name, async () => void problems.push(...(await k.fn())), { iterations: 1 });
        if (round > 0) samples.get(k.key)!.push({ ms: f.medianMs, t0: t0Here });
        log(`round ${round}${round === 0 ? ' (unmeasured)' : ''}, ${k.name}: ${f.medianMs.toFixed(0)} ms`);
      }
    }
    const of = (key: string): { ms: number; t0: number }[] => samples.get(key) ?? [];
    const summarize = (k: (typeof kinds)[number]): { figure: Figure; paired: number } => {
      const xs = of(k.key);
      const ms = xs.map((x) => x.ms);
      const paired = median(xs.map((x) => x.ms / x.t0));
      const figure: Figure = { name: k.name, group: k.group, medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms), samples: xs.length, extra: { gradesPerSecond: 40 / (median(ms) / 1000), pairedRatio: paired } };
      figures.push(figure);
      return { figure, paired };
    };
    const [orig, every, fast] = [summarize(kinds[0]), summarize(kinds[1]), summarize(kinds[2])];
    /** The original's time over rltask's, within each round: rltask's throughput next to the original's. */
    const timesOriginal = (key: string): number => median(of(key).map((x, i) => (of('original')[i]?.ms ?? Number.NaN) / x.ms));

    const t0b = await nodeE0(quick ? 5 : 15);
    figures.push({ ...t0b, name: 'node -e 0 (t₀), again at the end' });
    const t0 = (t0a.medianMs + t0b.medianMs) / 2;
    const load1 = os.loadavg();
    const rows = figures.map((f) => ({ ...f, ratio: f.medianMs / t0 }));
    printTable(rows, t0);

    const origMs = orig.figure.medianMs;
    const origPaired = orig.paired;
    const summary = {
      t0Ms: t0,
      verdictsRight: problems.length === 0,
      problems: problems.slice(0, 20),
      original2Core: { medianMs: origMs, gradesPerSecond: 40 / (origMs / 1000), pairedRatio: origPaired },
      everyCheck: { medianMs: every.figure.medianMs, gradesPerSecond: 40 / (every.figure.medianMs / 1000), pairedRatio: every.paired, timesOriginal: timesOriginal('every') },
      failFast: { medianMs: fast.figure.medianMs, gradesPerSecond: 40 / (fast.figure.medianMs / 1000), pairedRatio: fast.paired, timesOriginal: timesOriginal('fast') },
      cold: Object.fromEntries(Object.entries(cold).map(([k, f]) => [k, { medianMs: f.medianMs, ratio: f.medianMs / t0 }])),
    };
    const c = (k: string): number => cold[k]?.medianMs ?? Number.NaN;
    process.stdout.write(
      [
        '',
        `t₀ ${t0.toFixed(1)} ms; load ${load0.map((l) => l.toFixed(2)).join(' ')} → ${load1.map((l) => l.toFixed(2)).join(' ')}`,
        `verdicts: ${problems.length === 0 ? 'all right' : `WRONG: ${problems.slice(0, 5).join('; ')}`}`,
        `40 workspaces, the original grader ×2 in parallel: ${(origMs / 1000).toFixed(2)} s = ${origPaired.toFixed(1)} t₀, ${(40 / (origMs / 1000)).toFixed(1)} grades/s`,
        `40 workspaces, rltask every check: ${(every.figure.medianMs / 1000).toFixed(2)} s = ${every.paired.toFixed(1)} t₀ → ${timesOriginal('every').toFixed(2)}× the original's 2-core throughput, round by round (target ≥ 4×)`,
        `40 workspaces, rltask --fail-fast: ${(fast.figure.medianMs / 1000).toFixed(2)} s = ${fast.paired.toFixed(1)} t₀ → ${timesOriginal('fast').toFixed(2)}×`,
        `cold single grade, correct: rltask ${c('rltask-passed').toFixed(0)} ms, original ${c('original-passed').toFixed(0)} ms; buggy: rltask ${c('rltask-failed').toFixed(0)} ms, original ${c('original-failed').toFixed(0)} ms`,
      ].join('\n') + '\n',
    );
    const results = {
      date: started.toISOString(),
      machine: { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? null, node: process.version, loadavgStart: load0, loadavgEnd: load1 },
      quick,
      figures: rows,
      summary,
    };
    await writeResults(results, out, path.join(ROOT, 'bench/.results', `python-${started.toISOString().replaceAll(':', '-')}.json`), log);
  } finally {
    await fx.cleanup();
  }
}

await main();
