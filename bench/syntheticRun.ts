/**
 * A calibration output directory of any size, written without a model or a grader: `validation_results.json`
 * (validated with the calibration's schema) and one short transcript per attempt. For what the viewer does with a
 * large run (bench/view.ts, spec/viewer/viewer.spec.ts); the numbers are made up, the shapes are the real ones.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type AttemptRecord, calibrationResultsSchema } from '../src/calibration/CalibrationResults.ts';

const CHECKS = ['exact-kept-scale', 'second-moment', 'protected:dropout.test.ts', 'uses-sqrt'] as const;
const ENDINGS = ['end_turn', 'end_turn', 'end_turn', 'max_turns', 'token_budget'] as const;
const DIFF = `--- a/dropout.ts
+++ b/dropout.ts
@@ -10,3 +10,3 @@
   forward(x: number[]): number[] {
-    const scale = 1.0 / keepProb;
+    const scale = 1.0 / Math.sqrt(keepProb);
     return x.map((v) => (this.rng() < keepProb ? v * scale : 0));
`;

/** Write a run of `attempts` attempts (about one in four passing) into `dir`, which is created. */
export async function writeSyntheticRun(dir: string, attempts: number): Promise<void> {
  await mkdir(path.join(dir, 'transcripts'), { recursive: true });
  const start = Date.UTC(2026, 0, 1);
  const records: AttemptRecord[] = [];
  for (let n = 1; n <= attempts; n++) {
    const passed = n % 4 === 1;
    const error = !passed && n % 50 === 0;
    const check = CHECKS[n % CHECKS.length] ?? 'exact-kept-scale';
    const turns = 3 + (n % 17);
    const transcript = `transcripts/${n}.jsonl`;
    records.push({
      attempt: n,
      status: passed ? 'passed' : error ? 'error' : 'failed',
      passed,
      reward: passed ? 1 : 0,
      feedback: passed ? 'all 18 checks passed' : error ? 'API failed' : `${check}: does not hold`,
      firstFailingCheck: passed || error ? null : { id: check, message: `${check}: does not hold` },
      behavesLike: passed || error || n % 3 === 0 ? null : { name: n % 2 === 0 ? 'bug' : 'mean-preserving', basis: 'same-checks' },
      turns,
      inputTokens: 1000 * turns + n,
      outputTokens: 40 * turns,
      usage: { input: 100, cacheWrite: 400 * turns, cacheRead: 600 * turns + n - 100, output: 40 * turns },
      responsesWithoutUsage: 0,
      costUsd: 0.001 * turns,
      httpErrors: error ? 3 : 0,
      rateLimited: 0,
      durationMs: 1000 + 137 * (n % 29),
      agentMs: 800 + 100 * (n % 29),
      apiWaitMs: 0,
      gradeMs: 200,
      ending: error ? 'api_error' : (ENDINGS[n % ENDINGS.length] ?? 'end_turn'),
      stopReason: 'end_turn',
      diff: passed ? DIFF : '',
      transcript,
      ...(error ? { error: 'HTTP 529 overloaded (after 2 retries)' } : {}),
      startedAt: new Date(start + 1000 * n).toISOString(),
    });
    const lines = [
      { type: 'attempt', attempt: n, task: 'variance-dropout', startedAt: new Date(start + 1000 * n).toISOString() },
      { type: 'start', ms: 0, model: 'synthetic', system: 'You are a software engineer.', prompt: 'Fix the bug in dropout.ts.', tools: ['read_file', 'run_tests'], limits: {}, cache: true },
      { type: 'response', ms: 10, turn: 1, id: `m${n}`, stop_reason: 'tool_use', stop_details: null, usage: null, content: [{ type: 'tool_use', id: `t${n}`, name: 'run_tests', input: {} }] },
      { type: 'tool', ms: 20, turn: 1, id: `t${n}`, name: 'run_tests', isError: false, result: 'not ok - second moment preserved' },
      { type: 'end', ms: 30, ending: 'end_turn', turns },
    ];
    await writeFile(path.join(dir, transcript), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  }
  const passed = records.filter((r) => r.status === 'passed').length;
  const failed = records.filter((r) => r.status === 'failed').length;
  const runs = passed + failed;
  const results = calibrationResultsSchema.parse({
    summary: {
      task: 'variance-dropout',
      taskVersion: 1,
      variant: 'default',
      model: 'synthetic',
      runs,
      passed,
      failed,
      errors: attempts - runs,
      requested: attempts,
      passRate: runs === 0 ? null : passed / runs,
      ci95: [Math.max(0, passed / runs - 0.03), Math.min(1, passed / runs + 0.03)],
      band: [0.1, 0.4],
      verdict: 'in-band',
      tokens: { input: records.reduce((s, r) => s + r.inputTokens, 0), output: records.reduce((s, r) => s + r.outputTokens, 0) },
      durationMs: records.reduce((s, r) => s + r.durationMs, 0),
      endings: {},
      settings: { seed: 1, maxTurns: 40, tokenBudget: 500_000, timeLimitMs: 900_000, maxTokens: 8192, promptSha256: '0'.repeat(64) },
      updatedAt: new Date(start).toISOString(),
    },
    attempts: records,
  });
  await writeFile(path.join(dir, 'validation_results.json'), `${JSON.stringify(results, null, 2)}\n`);
}
