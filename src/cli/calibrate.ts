import type { CalibrationEvent } from '../calibration/calibrate.ts';
import type { AttemptRecord, CalibrationSummary } from '../calibration/CalibrationResults.ts';
import { RltaskError } from '../errors.ts';
import { loadTask } from '../task/loadTask.ts';
import { exactly, int, str } from './_args.ts';
import type { Command, Io } from './Command.ts';

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

function kTokens(n: number): string {
  return n < 1000 ? String(n) : `${(n / 1000).toFixed(1)}k`;
}

function parseBand(text: string | undefined): [number, number] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map((p) => p.trim());
  const nums = parts.map(Number);
  const [lo, hi] = nums;
  if (parts.length !== 2 || lo === undefined || hi === undefined || parts.some((p) => p === '') || !nums.every(Number.isFinite) || !(lo >= 0 && lo < hi && hi <= 1)) {
    throw new RltaskError('E_USAGE', `--band expects two pass rates "lo,hi" with 0 ≤ lo < hi ≤ 1 (e.g. 0.1,0.4), got "${text}"`);
  }
  return [lo, hi];
}

function required(values: Parameters<Command['run']>[1], key: string, usage: string): string {
  const v = str(values, key);
  if (v === undefined || v.trim() === '') throw new RltaskError('E_USAGE', `--${key} is required\nusage: ${usage}`);
  return v;
}

function attemptLine(r: AttemptRecord, s: CalibrationSummary): string {
  const what =
    r.status === 'passed'
      ? 'passed'
      : r.status === 'error'
        ? `ERROR (${r.error ?? r.feedback})`
        : `failed (${r.firstFailingCheck?.id ?? r.feedback}${r.behavesLike === null ? '' : `; like ${r.behavesLike.name}`})`;
  return `attempt ${r.attempt}: ${what} — ${r.turns} turns, ${kTokens(r.inputTokens + r.outputTokens)} tokens, ${(r.durationMs / 1000).toFixed(1)} s, ${r.ending}   [${s.passed}/${s.runs} passed]`;
}

/** Progress on stderr: one redrawn bar on a terminal, plain lines otherwise. */
function progress(io: Io): { onProgress: (e: CalibrationEvent) => void; done: () => void } {
  let total = 0;
  let summary: CalibrationSummary | undefined;
  const running = new Map<number, number>();
  let drawn = false;
  const draw = (): void => {
    if (summary === undefined) return;
    const done = summary.runs + summary.errors;
    const width = 24;
    const filled = total === 0 ? width : Math.min(width, Math.round((width * done) / total));
    const live = [...running].map(([a, t]) => `#${a}:t${t}`).join(' ');
    const ci = summary.runs === 0 ? '' : `  ci95 [${pct(summary.ci95[0])}, ${pct(summary.ci95[1])}] ${summary.verdict}`;
    io.err(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}  ✓${summary.passed} ✗${summary.failed}${summary.errors > 0 ? ` !${summary.errors}` : ''}${ci}${live === '' ? '' : `  running ${live}`}`);
    drawn = true;
  };
  return {
    onProgress: (e) => {
      switch (e.type) {
        case 'begin':
          total = e.runs;
          summary = e.summary;
          if (!io.isTty) io.err(`calibrate: ${e.runs} attempts requested, ${e.finished} already finished, ${e.todo} to run\n`);
          break;
        case 'attempt-start':
          running.set(e.attempt, 0);
          break;
        case 'turn':
          running.set(e.attempt, e.turn);
          break;
        case 'attempt-end':
          running.delete(e.record.attempt);
          summary = e.summary;
          if (!io.isTty) io.err(`${attemptLine(e.record, e.summary)}\n`);
          else if (e.record.status === 'error') {
            io.err(`\r\x1b[2K${attemptLine(e.record, e.summary)}\n`);
          }
          break;
        case 'decided':
          summary = e.summary;
          if (!io.isTty) io.err(`calibrate: verdict decided (${e.summary.verdict}); no new attempts are started\n`);
          break;
      }
      if (io.isTty) draw();
    },
    done: () => {
      if (drawn) io.err('\n');
    },
  };
}

export const calibrate: Command = {
  name: 'calibrate',
  summary: "measure a task's pass rate against a model (agent loop via the Anthropic API) with a Wilson interval",
  usage:
    'rltask calibrate <task.yaml> --runs N --model M --out DIR [--concurrency K] [--base-url URL] [--max-turns T] [--variant V] [--band 0.1,0.4] [--until-decided] [--seed S]',
  help: [
    '  --runs N            attempts 1..N (a resumed run only does the ones not finished yet)',
    '  --model M           model id, e.g. claude-sonnet-4-5',
    '  --out DIR           results: validation_results.json, VALIDATION_RESULTS.md, chart.svg, transcripts/, workspaces/',
    '  --concurrency K     attempts in flight at once (default 4)',
    '  --base-url URL      a gateway or compatible server (default ANTHROPIC_BASE_URL, else the Anthropic API)',
    '  --max-turns T       model turns per attempt (default 40)',
    '  --token-budget N    input+output tokens per attempt (default 500000)',
    '  --time-limit SEC    wall-clock limit per attempt (default 900)',
    '  --max-tokens N      max_tokens of each request (default 8192)',
    "  --variant V         a prompt variant from the task's `variants` (default: the top-level prompt)",
    '  --band LO,HI        target pass-rate band (default 0.1,0.4)',
    '  --until-decided     stop starting attempts once the verdict is decided (attempts in flight still count)',
    "  --seed S            grading seed for every attempt (default: the task's grader.seed)",
    '  --retries R         retries of a failed request (429, 5xx, overloaded), with backoff (default 6)',
    '  --no-stream         one JSON response per turn instead of server-sent events',
    '  --json              print the summary as JSON on stdout',
    'The API key comes from ANTHROPIC_API_KEY. Progress goes to stderr.',
    'exit: 0 in band, 1 otherwise (too easy, too hard, inconclusive), 2 bad input or the API refused the key, 3 no attempt could run',
  ].join('\n'),
  options: {
    runs: { type: 'string' },
    model: { type: 'string' },
    out: { type: 'string' },
    concurrency: { type: 'string' },
    'base-url': { type: 'string' },
    'max-turns': { type: 'string' },
    'token-budget': { type: 'string' },
    'time-limit': { type: 'string' },
    'max-tokens': { type: 'string' },
    variant: { type: 'string' },
    band: { type: 'string' },
    'until-decided': { type: 'boolean', default: false },
    seed: { type: 'string' },
    retries: { type: 'string' },
    'no-stream': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  async run(positionals, values, io) {
    exactly(positionals, 1, this.usage);
    required(values, 'runs', this.usage);
    const runs = int(values, 'runs', 1, 1, 100_000);
    const model = required(values, 'model', this.usage);
    const out = required(values, 'out', this.usage);
    const band = parseBand(str(values, 'band'));
    const seed = str(values, 'seed') === undefined ? undefined : int(values, 'seed', 0, 0, 0x7fffffff);
    const limits = {
      maxTurns: int(values, 'max-turns', 40, 1, 10_000),
      tokenBudget: int(values, 'token-budget', 500_000, 1, 1_000_000_000),
      timeLimitMs: int(values, 'time-limit', 900, 1, 86_400) * 1000,
      maxTokens: int(values, 'max-tokens', 8192, 1, 128_000),
    };
    const concurrency = int(values, 'concurrency', 4, 1, 64);
    const retries = int(values, 'retries', 6, 0, 20);
    // Loaded here, not at startup: the SDK costs ~0.6 s to import and no other verb needs it.
    const { calibrate: runCalibration, createClient, promptFor } = await import('../calibration/index.ts');
    // The key is checked before the task is even read: no work without a way to do it.
    const client = createClient({
      apiKey: io.env['ANTHROPIC_API_KEY'],
      baseUrl: str(values, 'base-url') ?? (io.env['ANTHROPIC_BASE_URL'] || undefined),
      maxRetries: retries,
      onLog: (line) => io.err(`${line}\n`),
    });
    const spec = await loadTask(positionals[0]!);
    promptFor(spec, str(values, 'variant'));

    const view = progress(io);
    let run;
    try {
      run = await runCalibration({
        spec,
        client,
        model,
        outDir: out,
        runs,
        concurrency,
        ...(str(values, 'variant') === undefined ? {} : { variant: str(values, 'variant') }),
        ...(band === undefined ? {} : { band }),
        untilDecided: values['until-decided'] === true,
        ...(seed === undefined ? {} : { seed }),
        limits,
        stream: values['no-stream'] !== true,
        signal: io.signal,
        onProgress: view.onProgress,
      });
    } finally {
      view.done();
    }
    const s = run.results.summary;
    if (values['json'] === true) io.out(`${JSON.stringify(s, null, 2)}\n`);
    else {
      io.out(
        [
          `${s.task} v${s.taskVersion} · variant ${s.variant} · model ${s.model}`,
          `${s.passRate === null ? 'no measured attempts' : `pass rate ${pct(s.passRate)} (${s.passed}/${s.runs})`}, Wilson 95 % [${pct(s.ci95[0])}, ${pct(s.ci95[1])}], band [${pct(s.band[0])}, ${pct(s.band[1])}]: ${s.verdict}`,
          `errors (not counted): ${s.errors} · tokens ${kTokens(s.tokens.input)} in / ${kTokens(s.tokens.output)} out · attempts run now: ${run.newAttempts}${run.interrupted ? ' (interrupted; run again to continue)' : ''}`,
          `wrote ${run.files.json}, ${run.files.markdown}, ${run.files.chart}`,
          '',
        ].join('\n'),
      );
    }
    if (run.interrupted) return 130;
    if (s.runs === 0) {
      io.err(`rltask calibrate: no attempt could run${s.errors > 0 ? ` (${s.errors} ended in errors; see ${run.files.markdown})` : ''}\n`);
      return 3;
    }
    return s.verdict === 'in-band' ? 0 : 1;
  },
};
