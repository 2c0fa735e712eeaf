// `rltask view` in a real browser: Debian's Chromium driven by playwright-core, over a run made by the real
// `rltask calibrate` against the stand-in Messages API, a second run of another prompt variant, a `grade --json`
// batch of the first run's workspaces and a generated run of 1,000 attempts. Each page is checked for console
// errors and with axe-core, and its screenshot is saved to docs/images/viewer/ (docs/calibration.md shows them).
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { writeSyntheticRun } from '../../bench/syntheticRun.ts';
import { buildViewer } from '../../scripts/buildViewer.ts';
import { calibrationResultsSchema } from '../../src/calibration/CalibrationResults.ts';
import { cleanupTmp, ROOT, tmp } from '../_helpers.ts';
import { type SpawnedCli, spawnCli, until } from '../cli/_spawnCli.ts';
import { calibrationRun, gradeBatch } from './_fixtures.ts';
import { seriousViolations } from './_axe.ts';
import { launchChromium } from './launchChromium.ts';

const SHOTS = path.join(ROOT, 'docs/images/viewer');
/** Attempt n of the first run follows POLICIES[n - 1] (spec/calibration/_standIn.ts). */
const POLICIES = ['fix', 'keep-bug', 'edit-tests', 'mimic-bug', 'overloaded-then-fix', 'fix-str-replace', 'max-tokens-in-tool-use', 'keep-bug'] as const;

let browser: Browser;
let viewer: SpawnedCli;
let url: string;
let run: string;

before(async () => {
  // Fails (never skips) without Chromium, saying what to install.
  browser = await launchChromium();
  await buildViewer();
  run = await calibrationRun(POLICIES);
  const formula = await calibrationRun(['fix', 'fix', 'keep-bug', 'fix'], 'formula');
  const grades = await gradeBatch(run, [1, 2, 4]);
  const big = path.join(await tmp('rltask-view-big-'), 'big');
  await writeSyntheticRun(big, 1000);
  await mkdir(SHOTS, { recursive: true });
  viewer = spawnCli(['view', run, formula, grades, big, '--port', '0'], 600_000);
  assert.ok(await until(() => viewer.output().stdout.includes('\n'), 60_000), `rltask view did not start: ${viewer.output().stderr}`);
  url = /^viewing on (http:\/\/127\.0\.0\.1:\d+)\n$/.exec(viewer.output().stdout)?.[1] ?? '';
  assert.notEqual(url, '');
});

after(async () => {
  await browser?.close();
  viewer?.kill('SIGTERM');
  await viewer?.exited;
  await cleanupTmp();
});

/** A fresh page that records every console error and uncaught exception. */
async function open(hash: string, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, colorScheme });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}/${hash}`);
  return { page, errors };
}

/** No serious or critical accessibility violation, and a screenshot for the docs. */
async function checkPage(page: Page, errors: readonly string[], shot: string): Promise<void> {
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
  assert.deepEqual(errors, []);
  await page.screenshot({ path: path.join(SHOTS, `${shot}.png`) });
}

describe('rltask view in Chromium', () => {
  it('lists the runs and the grade batch, and shows two runs side by side', async () => {
    const { page, errors } = await open('#/');
    await page.locator('table.runs tbody tr').first().waitFor();
    assert.equal(await page.locator('table.runs tbody tr').count(), 3);
    const first = await page.locator('table.runs tbody tr').first().innerText();
    assert.match(first, /variance-dropout\s+default\s+stand-in\s+/);
    const summary = calibrationResultsSchema.parse(JSON.parse(await readFile(path.join(run, 'validation_results.json'), 'utf8'))).summary;
    assert.ok(first.includes(`(${summary.passed}/${summary.runs})`), first);
    assert.ok(first.includes(summary.verdict), first);
    assert.equal(await page.locator('svg.interval').count(), 3);
    await checkPage(page, errors, 'runs');

    await page.getByRole('checkbox').nth(0).check();
    await page.getByRole('checkbox').nth(1).check();
    await page.getByRole('link', { name: /compare the two selected runs/i }).click();
    await page.locator('.side-by-side section').nth(1).waitFor();
    assert.equal(new URL(page.url()).hash, '#/compare/run-1/run-2');
    const sides = await page.locator('.side-by-side section').allInnerTexts();
    assert.match(sides[0] ?? '', /variant\s+default/);
    assert.match(sides[1] ?? '', /variant\s+formula/);
    await checkPage(page, errors, 'compare');
    await page.close();
  });

  it('filters a run to its failures, sorts, moves with j/k and opens an attempt with its tool calls, diff and grade', async () => {
    const { page, errors } = await open('#/run/run-1');
    await page.locator('table.attempts tbody tr.row').first().waitFor();
    assert.equal(await page.locator('table.attempts tbody tr.row').count(), POLICIES.length);
    assert.ok((await page.locator('.modes li').count()) >= 2, 'failure modes grouped');

    await page.getByLabel('result').selectOption('failed');
    const failed = await page.locator('table.attempts tbody tr.row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-attempt')));
    // keep-bug (2, 8), edit-tests (3), mimic-bug (4) fail; max-tokens-in-tool-use (7) recovers and fixes.
    assert.deepEqual(failed, ['2', '3', '4', '8']);
    assert.ok((await page.locator('table.attempts tbody tr.row .badge').allInnerTexts()).every((t) => t === 'failed'));

    await page.getByRole('button', { name: /^turns/ }).click();
    await page.getByRole('button', { name: /^turns/ }).click();
    const byTurns = await page.locator('table.attempts tbody tr.row td:nth-child(6)').allInnerTexts();
    assert.deepEqual(byTurns.map(Number), [...byTurns.map(Number)].sort((a, b) => b - a));
    await page.getByRole('button', { name: /^#/ }).click();
    await checkPage(page, errors, 'run');

    await page.locator('.scroller').focus();
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    assert.equal(await page.locator('tr.selected').getAttribute('data-attempt'), '3');
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await page.locator('.transcript').waitFor();
    assert.equal(new URL(page.url()).hash, '#/run/run-1/attempt/4');

    // mimic-bug: reads dropout.ts, rewrites it to behave like the bug, stops.
    assert.equal(await page.locator('.tool[data-tool="read_file"]').count(), 1);
    assert.match(await page.locator('.tool[data-tool="write_file"]').innerText(), /const scale = 1 \/ \(1 - this\.dropoutRate\); \/\/ same as before/);
    assert.match((await page.locator('.d2h-file-name').first().innerText()).trim(), /dropout\.ts/);
    assert.ok((await page.locator('.d2h-ins').count()) >= 1, 'the diff shows added lines');
    assert.ok((await page.locator('.checks .c-failed').count()) >= 1, 'the failing check is listed');
    await page.getByRole('button', { name: 'side by side' }).click();
    await page.locator('.d2h-file-side-diff').first().waitFor();
    await page.getByRole('button', { name: 'unified' }).click();
    await checkPage(page, errors, 'attempt');

    // j/k on an attempt follow the filtered order of the table: after 4 comes 8.
    await page.keyboard.press('j');
    await page.waitForURL(/#\/run\/run-1\/attempt\/8$/);
    await page.locator('h1', { hasText: 'Attempt 8' }).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('marks API retries and tool errors, and a turn permalink opens at that turn', async () => {
    const { page, errors } = await open('#/run/run-1/attempt/5/turn/2');
    await page.locator('#turn-2.target').waitFor();
    // overloaded-then-fix: the first request was refused with 529 and retried.
    assert.match(await page.locator('.api-error.warn').first().innerText(), /HTTP error 529/);
    assert.ok(await page.locator('#turn-2').isVisible());
    const top = await page.locator('#turn-2').evaluate((el) => el.getBoundingClientRect().top);
    assert.ok(top >= -1 && top < 900, `turn 2 scrolled into the viewport (top ${top})`);
    await page.locator('#turn-2 a.permalink').click();
    assert.equal(new URL(page.url()).hash, '#/run/run-1/attempt/5/turn/2');

    await page.goto(`${url}/#/run/run-1/attempt/7`);
    // max-tokens-in-tool-use: a write_file cut off at max_tokens is an error result, marked so.
    await page.locator('.tool.is-error').first().waitFor();
    assert.match(await page.locator('.tool.is-error').first().innerText(), /cut off at max_tokens/);

    // keep-bug runs the tests: their output is shown monospaced.
    await page.goto(`${url}/#/run/run-1/attempt/2`);
    await page.locator('.tool[data-tool="run_tests"] pre.mono').first().waitFor();
    assert.match(await page.locator('.tool[data-tool="run_tests"] pre.mono').first().innerText(), /not ok/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("follows the system's dark mode, with no contrast violation either", async () => {
    const { page, errors } = await open('#/run/run-1/attempt/4', 'dark');
    await page.locator('.d2h-file-wrapper').waitFor();
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    assert.equal(background, 'rgb(21, 23, 26)');
    await checkPage(page, errors, 'attempt-dark');
    await page.close();
  });

  it('shows a grade batch, a row per workspace, its checks on click', async () => {
    const { page, errors } = await open('#/');
    await page.getByRole('link', { name: /grades\.jsonl/ }).click();
    await page.locator('table.batch tbody tr.row').first().waitFor();
    assert.equal(await page.locator('table.batch tbody tr.row').count(), 3);
    const verdicts = await page.locator('table.batch tbody tr.row .badge').allInnerTexts();
    // The workspaces of attempts 1 (fix), 2 (keep-bug) and 4 (mimic-bug), in completion order.
    assert.deepEqual([...verdicts].sort(), ['failed', 'failed', 'passed']);
    assert.equal(await page.locator('tr.detail').count(), 0);
    await page.locator('table.batch tbody tr.row a').first().click();
    await page.locator('tr.detail').waitFor();
    // Every check is there; the passed ones are folded into a "N checks passed" disclosure.
    const checks = await page.locator('tr.detail .checks li').count();
    assert.ok(checks >= 10, `${checks} checks listed`);
    assert.match(new URL(page.url()).hash, /^#\/batch\/batch-1\/row\/0$/);
    await page.keyboard.press('j');
    await page.waitForURL(/row\/1$/);
    await page.locator('tr.detail').waitFor();
    await checkPage(page, errors, 'batch');
    await page.close();
  });

  it('draws only the visible rows of a 1,000-attempt run, and scrolls to the last', async () => {
    const { page, errors } = await open('#/run/run-3');
    await page.locator('table.attempts tbody tr.row').first().waitFor();
    assert.match(await page.locator('.filters [aria-live]').innerText(), /1000 of 1000 attempts/);
    const drawn = await page.locator('table.attempts tbody tr.row').count();
    assert.ok(drawn > 10 && drawn < 100, `${drawn} rows drawn`);
    await page.locator('.scroller').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.locator('tr.row[data-attempt="1000"]').waitFor();
    assert.ok((await page.locator('table.attempts tbody tr.row').count()) < 100);
    await page.getByLabel('result').selectOption('error');
    assert.match(await page.locator('.filters [aria-live]').innerText(), /^20 of 1000 attempts/);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
