import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wilson } from '../../properties/_stats.ts';
import type { AttemptRecord, CalibrationSettings } from '../../src/calibration/CalibrationResults.ts';
import { runsToDecide } from '../../src/calibration/renderMarkdown.ts';
import { summarize } from '../../src/calibration/summarize.ts';
import { verdictFor } from '../../src/calibration/verdictFor.ts';

const BAND = [0.1, 0.4] as const;

function close(actual: readonly number[], expected: readonly number[], tol = 5e-4): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol, `${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`));
}

describe('the Wilson interval and the verdict', () => {
  it('5 passes in 20 runs: [0.112, 0.469], inconclusive against 10–40 %', () => {
    const ci = wilson(5, 20);
    close(ci, [0.112, 0.469]);
    assert.equal(verdictFor(ci, BAND), 'inconclusive');
  });

  it("the original task's 4/15 \"within 10–40 %\" was never shown: [0.109, 0.520] is inconclusive", () => {
    const ci = wilson(4, 15);
    close(ci, [0.109, 0.52], 1e-3);
    assert.equal(verdictFor(ci, BAND), 'inconclusive');
  });

  it('in-band only when the whole interval lies in the band', () => {
    assert.equal(verdictFor(wilson(50, 200), BAND), 'in-band'); // [0.195, 0.314]
    assert.equal(verdictFor([0.1, 0.4], BAND), 'in-band');
    assert.equal(verdictFor([0.0999, 0.3], BAND), 'inconclusive');
    assert.equal(verdictFor([0.2, 0.4001], BAND), 'inconclusive');
  });

  it('too-easy / too-hard when the interval lies wholly above / below', () => {
    assert.equal(verdictFor(wilson(3, 3), BAND), 'too-easy'); // [0.438, 1]
    assert.equal(verdictFor(wilson(2, 2), BAND), 'inconclusive'); // [0.342, 1]
    assert.equal(verdictFor(wilson(0, 40), BAND), 'too-hard'); // [0, 0.088]
    assert.equal(verdictFor(wilson(0, 30), BAND), 'inconclusive'); // [0, 0.114]
  });

  it('no data decides nothing', () => {
    assert.deepEqual(wilson(0, 0), [0, 1]);
    assert.equal(verdictFor(wilson(0, 0), BAND), 'inconclusive');
  });

  it('estimates the runs that would decide an inconclusive rate', () => {
    const n = runsToDecide({ passRate: 0.25, band: [0.1, 0.4], runs: 20 });
    assert.ok(n !== undefined && n > 20 && n < 60, String(n));
    assert.equal(verdictFor(wilson(0.25 * n, n), BAND), 'in-band');
    assert.equal(verdictFor(wilson(0.25 * (n - 1), n - 1), BAND), 'inconclusive');
    assert.equal(runsToDecide({ passRate: 0.4, band: [0.1, 0.4], runs: 20 }), undefined, 'a rate on the edge is never decided');
    assert.equal(runsToDecide({ passRate: null, band: [0.1, 0.4], runs: 0 }), undefined);
  });
});

describe('summarize', () => {
  const settings: CalibrationSettings = { seed: 1, maxTurns: 2, tokenBudget: 3, timeLimitMs: 4, maxTokens: 5, promptSha256: '0'.repeat(64), impossible: false };
  const record = (attempt: number, status: AttemptRecord['status']): AttemptRecord => ({
    attempt,
    status,
    passed: status === 'passed',
    reward: status === 'passed' ? 1 : 0,
    feedback: '',
    firstFailingCheck: null,
    behavesLike: null,
    turns: 1,
    inputTokens: 10,
    outputTokens: 2,
    usage: { input: 4, cacheWrite: 2, cacheRead: 4, output: 2 },
    responsesWithoutUsage: 0,
    costUsd: 0.25,
    httpErrors: 0,
    rateLimited: 0,
    durationMs: 100,
    agentMs: 50,
    apiWaitMs: 7,
    gradeMs: 50,
    ending: status === 'error' ? 'api_error' : 'end_turn',
    stopReason: status === 'error' ? null : 'end_turn',
    diff: '',
    transcript: `transcripts/${attempt}.jsonl`,
    startedAt: new Date(0).toISOString(),
  });

  it('counts errors apart: they are not failures of the model', () => {
    const attempts = [record(1, 'passed'), record(2, 'failed'), record(3, 'error'), record(4, 'failed')];
    const s = summarize(attempts, { task: 't', taskVersion: 1, variant: 'default', model: 'm', requested: 4, band: BAND, settings });
    assert.equal(s.runs, 3);
    assert.equal(s.passed, 1);
    assert.equal(s.failed, 2);
    assert.equal(s.errors, 1);
    assert.equal(s.passRate, 1 / 3);
    assert.deepEqual(s.ci95, wilson(1, 3));
    assert.deepEqual(s.tokens, { input: 40, output: 8, cacheWrite: 8, cacheRead: 16 });
    assert.equal(s.cacheHitRate, 0.4);
    assert.equal(s.costUsd, 1);
    assert.equal(s.apiWaitMs, 28);
    assert.equal(s.cheating, null);
    assert.equal(s.durationMs, 400);
    assert.deepEqual(s.endings, { end_turn: 3, api_error: 1 });
  });

  it('has no cost when one attempt has none (a model without a price, a response without usage)', () => {
    const s = summarize([record(1, 'passed'), { ...record(2, 'failed'), costUsd: null }], { task: 't', taskVersion: 1, variant: 'default', model: 'm', requested: 2, band: BAND, settings });
    assert.equal(s.costUsd, null);
  });

  it('gives the cheating rate of an impossible-twin run over the measured attempts, with its Wilson interval', () => {
    const cheat = (kind: 'tampered' | 'conformed' | 'honest' | 'other') => ({ kind, cheated: kind === 'tampered' || kind === 'conformed', evidence: '' });
    const attempts = [
      { ...record(1, 'failed'), cheat: cheat('tampered') },
      { ...record(2, 'failed'), cheat: cheat('conformed') },
      { ...record(3, 'passed'), cheat: cheat('honest') },
      { ...record(4, 'failed'), cheat: cheat('other') },
      { ...record(5, 'failed'), cheat: cheat('conformed') },
      record(6, 'error'),
    ];
    const s = summarize(attempts, { task: 't', taskVersion: 1, variant: 'default', model: 'm', requested: 6, band: BAND, settings, impossible: 'a test expects the bug' });
    assert.deepEqual(s.cheating, { description: 'a test expects the bug', rate: 3 / 5, ci95: wilson(3, 5), cheated: 3, tampered: 1, conformed: 2, honest: 1, other: 1 });
  });

  it('has no pass rate when nothing was measured', () => {
    const s = summarize([record(1, 'error')], { task: 't', taskVersion: 1, variant: 'default', model: 'm', requested: 1, band: BAND, settings });
    assert.equal(s.runs, 0);
    assert.equal(s.passRate, null);
    assert.equal(s.verdict, 'inconclusive');
  });
});
