import type { CalibrationEvent } from '../calibration/calibrate.ts';
import type { AttemptRecord, CalibrationSummary } from '../calibration/CalibrationResults.ts';
import { RltaskError } from '../errors.ts';
import { impossibleTwin } from '../task/impossibleTwin.ts';
import { loadTask } from '../task/loadTask.ts';
import { defineCommand } from './defineCommand.ts';
import type { Io } from './Io.ts';

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

function kTokens(n: number): string {
  return n < 1000 ? String(n) : `${(n / 1000).toFixed(1)}k`;
}

function usd(x: number | null): string {
  return x === null ? 'unknown (model not in the price table, or a response without usage)' : `$${x.toFixed(x < 1 ? 4 : 2)}`;
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

function attemptLine(r: AttemptRecord, s: CalibrationSummary): string {
  const what =
    r.status === 'passed'
      ? 'passed'
      : r.status === 'error'
        ? `ERROR (${r.error ?? r.feedback})`
        : `failed (${r.firstFailingCheck?.id ?? r.feedback}${r.behavesLike === null ? '' : `; like ${r.behavesLike.name}`})`;
  const cheat = r.cheat === undefined ? '' : ` [${r.cheat.kind}]`;
  return `attempt ${r.attempt}: ${what}${cheat} — ${r.turns} turns, ${kTokens(r.inputTokens + r.outputTokens)} tokens, ${r.costUsd === null ? '' : `$${r.costUsd.toFixed(4)}, `}${(r.durationMs / 1000).toFixed(1)} s, ${r.ending}   [${s.passed}/${s.runs} passed]`;
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

export const calibrate = defineCommand({
  name: 'calibrate',
  summary: "measure a task's pass rate against a model (agent loop via the Anthropic API) with a Wilson interval",
  details: 'The API key comes from ANTHROPIC_API_KEY. Progress goes to stderr. A run resumes where an earlier one with the same --out stopped.',
  positionals: [{ name: 'task', valueName: 'task.yaml', description: 'the task file', required: true }],
  options: {
    runs: { type: 'int', valueName: 'N', min: 1, max: 100_000, required: true, description: 'attempts 1 to N; a resumed run only does the ones not finished yet' },
    model: { type: 'string', valueName: 'M', required: true, description: 'model id, e.g. claude-sonnet-4-5' },
    out: { type: 'string', valueName: 'DIR', required: true, description: 'results: validation_results.json, VALIDATION_RESULTS.md, chart.svg, transcripts/, workspaces/' },
    concurrency: { type: 'int', valueName: 'K', min: 1, max: 64, default: 4, description: 'attempts in flight at once' },
    'base-url': { type: 'string', valueName: 'URL', defaultText: 'ANTHROPIC_BASE_URL, else the Anthropic API', description: 'a gateway or compatible server' },
    'max-turns': { type: 'int', valueName: 'T', min: 1, max: 10_000, default: 40, description: 'model turns per attempt' },
    'token-budget': { type: 'int', valueName: 'N', min: 1, max: 1_000_000_000, default: 500_000, description: 'input+output tokens per attempt' },
    'time-limit': { type: 'int', valueName: 'SEC', min: 1, max: 86_400, default: 900, description: 'wall-clock limit per attempt, in seconds' },
    'max-tokens': { type: 'int', valueName: 'N', min: 1, max: 128_000, default: 8192, description: 'max_tokens of each request' },
    variant: { type: 'string', valueName: 'V', defaultText: 'the top-level prompt', description: "a prompt variant from the task's `variants`" },
    band: { type: 'string', valueName: 'LO,HI', defaultText: '0.1,0.4', description: 'target pass-rate band' },
    'until-decided': { type: 'boolean', description: 'stop starting attempts once the verdict is decided (attempts in flight still count)' },
    seed: { type: 'int', valueName: 'S', min: 0, max: 0x7fffffff, defaultText: "the task's grader.seed", description: 'grading seed for every attempt' },
    retries: { type: 'int', valueName: 'R', min: 0, max: 20, default: 6, description: 'retries of a request after a transport fault (lost connection, stall, 429, 5xx, overloaded), with back-off' },
    'stall-seconds': { type: 'int', valueName: 'SEC', min: 1, max: 3600, default: 120, description: 'a request with no byte for this long (before or after the headers) has stalled and is retried' },
    rpm: { type: 'int', valueName: 'N', min: 1, max: 1_000_000, description: 'requests per minute over all attempts at most' },
    'input-tpm': { type: 'int', valueName: 'N', min: 1, max: 1_000_000_000, description: 'input tokens per minute over all attempts at most' },
    prices: { type: 'string', valueName: 'FILE', defaultText: 'the built-in table', description: 'model prices (JSON, USD per million tokens) merged over the built-in table' },
    impossible: { type: 'boolean', description: "run the task's impossible twin (a visible test contradicts the prompt) and report the cheating rate" },
    'no-stream': { type: 'boolean', description: 'one JSON response per turn instead of server-sent events' },
    json: { type: 'boolean', description: 'print the summary as JSON on stdout' },
  },
  exits: {
    0: 'the pass rate is in the band',
    1: 'it is not (too easy, too hard) or not yet decided (inconclusive)',
    2: 'bad input, or the API refused the key',
    3: 'no attempt could run',
    130: 'interrupted (run again to continue)',
  },
  async run({ task }, o, io) {
    const band = parseBand(o.band);
    const limits = { maxTurns: o['max-turns'], tokenBudget: o['token-budget'], timeLimitMs: o['time-limit'] * 1000, maxTokens: o['max-tokens'] };
    // Loaded here, not at startup: the SDK costs ~0.6 s to import and no other verb needs it.
    const { calibrate: runCalibration, createClient, promptFor, loadPrices } = await import('../calibration/index.ts');
    // The key is checked before the task is even read: no work without a way to do it.
    const client = createClient({
      apiKey: io.env['ANTHROPIC_API_KEY'],
      baseUrl: o['base-url'] ?? (io.env['ANTHROPIC_BASE_URL'] || undefined),
      onLog: (line) => io.err(`${line}\n`),
    });
    const spec = await loadTask(task);
    promptFor(spec, o.variant);
    if (o.impossible) impossibleTwin(spec);
    const prices = o.prices === undefined ? undefined : await loadPrices(o.prices);

    const view = progress(io);
    let run;
    try {
      run = await runCalibration({
        spec,
        client,
        model: o.model,
        outDir: o.out,
        runs: o.runs,
        concurrency: o.concurrency,
        ...(o.variant === undefined ? {} : { variant: o.variant }),
        ...(band === undefined ? {} : { band }),
        untilDecided: o['until-decided'],
        ...(o.seed === undefined ? {} : { seed: o.seed }),
        limits,
        stream: !o['no-stream'],
        retries: o.retries,
        stallMs: o['stall-seconds'] * 1000,
        ...(o.rpm === undefined ? {} : { rpm: o.rpm }),
        ...(o['input-tpm'] === undefined ? {} : { inputTpm: o['input-tpm'] }),
        ...(prices === undefined ? {} : { prices }),
        impossible: o.impossible,
        signal: io.signal,
        onProgress: view.onProgress,
      });
    } finally {
      view.done();
    }
    const s = run.results.summary;
    if (o.json) io.out(`${JSON.stringify(s, null, 2)}\n`);
    else {
      io.out(
        [
          `${s.task} v${s.taskVersion} · variant ${s.variant} · model ${s.model}`,
          `${s.passRate === null ? 'no measured attempts' : `pass rate ${pct(s.passRate)} (${s.passed}/${s.runs})`}, Wilson 95 % [${pct(s.ci95[0])}, ${pct(s.ci95[1])}], band [${pct(s.band[0])}, ${pct(s.band[1])}]: ${s.verdict}`,
          ...(s.cheating === null ? [] : [`cheating ${s.cheating.rate === null ? '–' : pct(s.cheating.rate)} (${s.cheating.cheated}/${s.runs}: ${s.cheating.tampered} tampered, ${s.cheating.conformed} conformed), Wilson 95 % [${pct(s.cheating.ci95[0])}, ${pct(s.cheating.ci95[1])}]; ${s.cheating.honest} followed the prompt`]),
          `errors (not counted): ${s.errors} · tokens ${kTokens(s.tokens.input)} in (cache hit ${s.cacheHitRate === null ? '–' : pct(s.cacheHitRate)}) / ${kTokens(s.tokens.output)} out · cost ${usd(s.costUsd)} · API waits ${(s.apiWaitMs / 1000).toFixed(1)} s${s.rateLimit === null ? '' : ` · ${s.rateLimit.rateLimited} × 429, concurrency ≥ ${s.rateLimit.lowestLimit}`}`,
          `attempts run now: ${run.newAttempts}${run.interrupted ? ' (interrupted; run again to continue)' : ''}`,
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
});
