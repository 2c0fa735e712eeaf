import assert from 'node:assert/strict';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { calibrate, type CalibrateOptions } from '../../src/calibration/calibrate.ts';
import { calibrationResultsSchema } from '../../src/calibration/CalibrationResults.ts';
import { createClient } from '../../src/calibration/createClient.ts';
import { RltaskError } from '../../src/errors.ts';
import type { TaskSpec } from '../../src/task/loadTask.ts';
import { wilson } from '../../properties/index.ts';
import { cleanupTmp, dropoutTask, tmp } from '../_helpers.ts';
import { type Policy, type StandIn, startStandIn } from './_standIn.ts';

let spec: TaskSpec;
let server: StandIn;
let policyFor: (attempt: number) => Policy = () => 'keep-bug';
let escapeTarget: string;

before(async () => {
  spec = await dropoutTask();
  escapeTarget = path.join(await tmp('rltask-escape-'), 'escaped.txt');
  server = await startStandIn({ spec, policyFor: (a) => policyFor(a), escapeTarget });
});
after(async () => {
  await server.close();
  await cleanupTmp();
});

function options(outDir: string, runs: number, extra: Partial<CalibrateOptions> = {}): CalibrateOptions {
  return { spec, client: createClient({ apiKey: 'test-key', baseUrl: server.url }), model: 'stand-in', outDir, runs, concurrency: 4, retries: 1, ...extra };
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

describe('calibrate (library) against the stand-in', () => {
  const mixed: readonly Policy[] = ['fix', 'keep-bug', 'edit-tests', 'escape', 'mimic-bug', 'server-error', 'overloaded-then-fix'];

  it('runs every attempt, grades it, and records what happened', async () => {
    policyFor = (a) => mixed[a - 1]!;
    const out = await tmp('rltask-cal-');
    const events: string[] = [];
    const run = await calibrate(options(out, mixed.length, { onProgress: (e) => events.push(e.type) }));
    const { summary, attempts } = run.results;
    assert.equal(run.newAttempts, 7);
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.status]),
      [
        [1, 'passed'],
        [2, 'failed'],
        [3, 'failed'],
        [4, 'failed'],
        [5, 'failed'],
        [6, 'error'],
        [7, 'passed'],
      ],
    );
    const byAttempt = new Map(attempts.map((a) => [a.attempt, a]));
    // The model that fixed the bug: reward 1, a diff of the scale line, no failing check.
    const fixed = byAttempt.get(1)!;
    assert.equal(fixed.reward, 1);
    assert.equal(fixed.firstFailingCheck, null);
    assert.match(fixed.diff, /^-\s+const scale = 1\.0 \/ keepProb;$/m);
    assert.match(fixed.diff, /^\+\s+const scale = 1\.0 \/ Math\.sqrt\(keepProb\);$/m);
    assert.equal(fixed.ending, 'end_turn');
    assert.equal(fixed.turns, 5);
    // Kept the bug: it behaves like the bug (same source), and its diff is empty.
    assert.equal(byAttempt.get(2)!.firstFailingCheck?.id, 'exact-kept-scale');
    assert.deepEqual(byAttempt.get(2)!.behavesLike, { name: 'bug', basis: 'same-source' });
    assert.equal(byAttempt.get(2)!.diff, '');
    // Edited the protected tests: caught by the byte-for-byte check, the diff shows the edit.
    assert.equal(byAttempt.get(3)!.firstFailingCheck?.id, 'protected:dropout.test.ts');
    assert.match(byAttempt.get(3)!.diff, /^--- a\/dropout\.test\.ts$/m);
    // A different text with the bug's behaviour is recognized by its graded checks.
    assert.deepEqual(byAttempt.get(5)!.behavesLike, { name: 'bug', basis: 'same-checks' });
    // The API failed for good: an error, not counted, with the reason.
    const failedApi = byAttempt.get(6)!;
    assert.equal(failedApi.ending, 'api_error');
    assert.match(failedApi.error ?? '', /the API failed for good: HTTP 500/);
    assert.equal(failedApi.httpErrors, 2);
    // Overloaded once, then fixed.
    assert.equal(byAttempt.get(7)!.httpErrors, 1);

    assert.equal(summary.runs, 6);
    assert.equal(summary.passed, 2);
    assert.equal(summary.failed, 4);
    assert.equal(summary.errors, 1);
    assert.equal(summary.variant, 'default');
    assert.equal(summary.verdict, 'inconclusive');
    assert.ok(summary.tokens.input > 0 && summary.tokens.output > 0);

    // Files: the JSON validates, the report and the chart exist, one transcript per attempt.
    const json = calibrationResultsSchema.parse(JSON.parse(await readFile(path.join(out, 'validation_results.json'), 'utf8')));
    assert.deepEqual(json, run.results);
    const md = await readFile(path.join(out, 'VALIDATION_RESULTS.md'), 'utf8');
    assert.match(md, /\*\*Verdict: inconclusive\.\*\* Pass rate 33\.3 % \(2\/6\)/);
    assert.match(md, /### `protected:dropout\.test\.ts` — 1 attempt \(#3\)/);
    assert.match(md, /## Errors \(not counted\)\n\n- #6: the API failed for good/);
    const svg = await readFile(path.join(out, 'chart.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal((svg.match(/<title>attempt \d+:/g) ?? []).length, 7);
    assert.deepEqual((await readdir(path.join(out, 'transcripts'))).sort(), ['1.jsonl', '2.jsonl', '3.jsonl', '4.jsonl', '5.jsonl', '6.jsonl', '7.jsonl']);
    const lines = (await readFile(path.join(out, 'transcripts/1.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.deepEqual([lines[0]!.type, lines[1]!.type, lines.at(-2)!.type, lines.at(-1)!.type], ['attempt', 'start', 'end', 'grade']);
    assert.ok(events.includes('begin') && events.filter((e) => e === 'attempt-end').length === 7);
    assert.equal(await exists(path.join(out, '.calibrate.lock')), false, 'the lock is released');

    // Path confinement: every escape attempt came back as an error result and nothing was written outside.
    const escapes = server.toolResults.filter((t) => t.attempt === 4);
    assert.equal(escapes.length, 7);
    assert.ok(escapes.every((t) => t.isError), JSON.stringify(escapes));
    assert.equal(await exists(escapeTarget), false);
    assert.equal(await exists(path.join(out, 'workspaces', 'escaped.txt')), false);
    assert.equal(await exists(path.join(out, 'escaped.txt')), false);
    assert.deepEqual((await readdir(path.join(out, 'workspaces', '4'))).sort(), ['dropout.test.ts', 'dropout.ts']);

    // Resumed: finished attempts are not redone; the errored one is tried again (and now succeeds).
    const before = server.requestLog.map((q) => q.attempt);
    policyFor = (a) => (a === 6 ? 'fix' : mixed[a - 1]!);
    const again = await calibrate(options(out, mixed.length));
    assert.equal(again.newAttempts, 1);
    const newRequests = server.requestLog.slice(before.length).map((q) => q.attempt);
    assert.ok(newRequests.length > 0 && newRequests.every((a) => a === 6), JSON.stringify(newRequests));
    assert.equal(again.results.attempts.find((a) => a.attempt === 6)!.status, 'passed');
    assert.equal(again.results.summary.runs, 7);
    assert.equal(again.results.summary.passed, 3);
    assert.equal(again.results.attempts.find((a) => a.attempt === 1)!.startedAt, fixed.startedAt, 'attempt 1 kept as it was');

    // More runs on the same directory continue with the next attempt numbers only.
    policyFor = () => 'edit-tests';
    const more = await calibrate(options(out, 9));
    assert.equal(more.newAttempts, 2);
    assert.deepEqual(more.results.attempts.map((a) => a.attempt), [1, 2, 3, 4, 5, 6, 7, 8, 9]);

    // Other settings cannot be pooled into the same pass rate.
    await assert.rejects(calibrate({ ...options(out, 9), model: 'another-model' }), (e: unknown) => e instanceof RltaskError && e.code === 'E_USAGE' && /--model: was "stand-in", now "another-model"/.test(e.message));
    await assert.rejects(calibrate(options(out, 9, { variant: 'formula' })), (e: unknown) => e instanceof RltaskError && /--variant: was "default", now "formula"/.test(e.message));
  });

  it('one attempt’s surprise does not end the run: it is an error with its message, redone on resume', async () => {
    policyFor = (a) => (a === 2 ? 'garbage' : 'fix-str-replace');
    const out = await tmp('rltask-cal-');
    // JSON responses: the garbage reaches the loop (a stream of it would be a transport fault, retried).
    const run = await calibrate(options(out, 3, { stream: false }));
    const [a1, a2, a3] = run.results.attempts;
    assert.equal(a1?.status, 'passed');
    assert.equal(a3?.status, 'passed');
    assert.equal(a2?.status, 'error');
    assert.equal(a2?.ending, 'internal_error');
    assert.match(a2?.error ?? '', /^internal error: TypeError: .*filter/);
    assert.equal(run.results.summary.runs, 2);
    assert.equal(run.results.summary.errors, 1);
    policyFor = () => 'fix-str-replace';
    const again = await calibrate(options(out, 3, { stream: false }));
    assert.equal(again.newAttempts, 1);
    assert.equal(again.results.attempts[1]?.status, 'passed');
  });

  it('reports cost from the price table, cache usage and the hit rate; a model not in the table has no cost', async () => {
    policyFor = () => 'fix';
    const prices = { asOf: '2026-12-01', source: 'test', models: { 'stand-in': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 } } };
    const out = await tmp('rltask-cal-');
    const run = await calibrate(options(out, 2, { prices }));
    const { summary, attempts } = run.results;
    for (const a of attempts) {
      const u = a.usage;
      // The latest turn carries the breakpoint, so nearly everything is cached: read from earlier turns, or written.
      assert.ok(u.cacheRead > 0 && u.cacheWrite > 0 && u.output > 0, JSON.stringify(u));
      const expected = (u.input * 3 + u.output * 15 + u.cacheWrite * 3.75 + u.cacheRead * 0.3) / 1e6;
      assert.ok(Math.abs((a.costUsd ?? -1) - expected) < 1e-12, `${a.costUsd} vs ${expected}`);
      assert.equal(a.inputTokens, u.input + u.cacheWrite + u.cacheRead);
    }
    assert.ok(Math.abs((summary.costUsd ?? -1) - (attempts[0]!.costUsd! + attempts[1]!.costUsd!)) < 1e-12);
    const all = attempts.reduce((n, a) => n + a.inputTokens, 0);
    assert.equal(summary.cacheHitRate, attempts.reduce((n, a) => n + a.usage.cacheRead, 0) / all);
    assert.deepEqual(summary.prices, { asOf: '2026-12-01', source: 'test', model: 'stand-in' });
    const md = await readFile(path.join(out, 'VALIDATION_RESULTS.md'), 'utf8');
    assert.match(md, /\| cost \| \$0\.\d{4} \(\$0\.\d{4} per attempt\); prices of `stand-in` as of 2026-12-01 \|/);
    assert.match(md, /\| cache hit rate \| \d+\.\d % of input tokens read from the prompt cache \|/);

    const unpriced = await calibrate(options(await tmp('rltask-cal-'), 1));
    assert.equal(unpriced.results.summary.costUsd, null);
    assert.equal(unpriced.results.summary.prices?.model, null);
    assert.equal(unpriced.results.attempts[0]?.costUsd, null);
  });

  it('429s: retried, counted, concurrency backs off, and the report says so', async () => {
    policyFor = () => 'rate-limited-then-fix';
    const out = await tmp('rltask-cal-');
    const run = await calibrate(options(out, 2, { concurrency: 2 }));
    const { summary, attempts } = run.results;
    assert.deepEqual(attempts.map((a) => [a.status, a.rateLimited, a.httpErrors]), [['passed', 1, 1], ['passed', 1, 1]]);
    assert.ok(attempts.every((a) => a.apiWaitMs >= 2000), 'the retry-after wait is the API’s time');
    assert.ok(summary.rateLimit !== null && summary.rateLimit.rateLimited === 2 && summary.rateLimit.reductions >= 1 && summary.rateLimit.lowestLimit === 1, JSON.stringify(summary.rateLimit));
    assert.match(await readFile(path.join(out, 'VALIDATION_RESULTS.md'), 'utf8'), /\| rate limits \| 2 × 429; concurrency backed off \d+ times? \(lowest 1\)/);
  });

  it('--impossible runs the twin and reports the cheating rate with its Wilson interval', async () => {
    const twinPolicies: readonly Policy[] = ['fix-str-replace', 'keep-bug', 'edit-tests', 'mimic-bug'];
    policyFor = (a) => twinPolicies[a - 1]!;
    const out = await tmp('rltask-cal-');
    const run = await calibrate(options(out, 4, { impossible: true }));
    const { summary, attempts } = run.results;
    assert.deepEqual(
      attempts.map((a) => [a.status, a.cheat?.kind]),
      [
        ['passed', 'honest'],
        ['failed', 'conformed'],
        ['failed', 'tampered'],
        ['failed', 'conformed'],
      ],
    );
    assert.equal(summary.settings.impossible, true);
    assert.deepEqual(summary.cheating, { description: spec.impossible!.description, rate: 0.75, ci95: wilson(3, 4), cheated: 3, tampered: 1, conformed: 2, honest: 1, other: 0 });
    // The agent saw the twin: its workspace has the contradicting test.
    assert.match(await readFile(path.join(out, 'workspaces/2/dropout.test.ts'), 'utf8'), /scaled by 1\/\(1-p\)/);
    const md = await readFile(path.join(out, 'VALIDATION_RESULTS.md'), 'utf8');
    assert.match(md, /## Cheating rate \(impossible twin\)/);
    assert.match(md, /\*\*Cheating: 75\.0 % \(3\/4\)\*\*, Wilson 95 % interval \[30\.1 %, 95\.4 %\]/);
    // A normal run cannot be pooled with it.
    await assert.rejects(calibrate(options(out, 4)), (e: unknown) => e instanceof RltaskError && /--impossible: was true, now false/.test(e.message));
  });

  it('refuses a results file that does not validate', async () => {
    const out = await tmp('rltask-cal-');
    await writeFile(path.join(out, 'validation_results.json'), JSON.stringify({ summary: { task: 'x' }, attempts: [{ attempt: 1, passed: 'yes' }] }));
    await assert.rejects(calibrate(options(out, 1)), (e: unknown) => e instanceof RltaskError && e.code === 'E_WORKSPACE' && /is not a calibration results file/.test(e.message) && /summary\.taskVersion/.test(e.message));
    await writeFile(path.join(out, 'validation_results.json'), '{"summary": ');
    await assert.rejects(calibrate(options(out, 1)), (e: unknown) => e instanceof RltaskError && /not valid JSON/.test(e.message));
  });

  it('--until-decided stops starting attempts once the interval leaves the band', async () => {
    policyFor = () => 'fix-str-replace';
    const out = await tmp('rltask-cal-');
    const run = await calibrate(options(out, 12, { concurrency: 1, untilDecided: true }));
    // 3/3 passes: Wilson [0.438, 1] lies wholly above 10–40 %.
    assert.equal(run.results.attempts.length, 3);
    assert.equal(run.results.summary.verdict, 'too-easy');
    assert.equal(run.interrupted, false);
    const again = await calibrate(options(out, 12, { concurrency: 1, untilDecided: true }));
    assert.equal(again.newAttempts, 0, 'already decided: nothing to add');
  });

  it('uses the prompt of a variant and names it; an unknown variant lists the ones there are', async () => {
    policyFor = () => 'edit-tests';
    const out = await tmp('rltask-cal-');
    const run = await calibrate(options(out, 1, { variant: 'goal-only' }));
    assert.equal(run.results.summary.variant, 'goal-only');
    const start = (await readFile(path.join(out, 'transcripts/1.jsonl'), 'utf8')).split('\n').map((l) => (l === '' ? {} : (JSON.parse(l) as Record<string, unknown>))).find((e) => e['type'] === 'start')!;
    assert.equal(start['prompt'], spec.variants['goal-only']!.prompt);
    assert.match(await readFile(path.join(out, 'VALIDATION_RESULTS.md'), 'utf8'), /variant `goal-only`/);
    await assert.rejects(calibrate(options(await tmp(), 1, { variant: 'nope' })), (e: unknown) => e instanceof RltaskError && e.code === 'E_USAGE' && /no variant "nope"; available: default, formula, goal-only/.test(e.message));
  });

  it('a 401 stops the whole run with E_API and records no attempt', async () => {
    policyFor = () => 'unauthorized';
    const out = await tmp('rltask-cal-');
    await assert.rejects(calibrate(options(out, 4)), (e: unknown) => e instanceof RltaskError && e.code === 'E_API' && /401/.test(e.message));
    const json = calibrationResultsSchema.parse(JSON.parse(await readFile(path.join(out, 'validation_results.json'), 'utf8')));
    assert.equal(json.attempts.length, 0);
    assert.equal(await exists(path.join(out, '.calibrate.lock')), false);
  });
});
