/**
 * `npm run bench:view [-- --quick]`: how long `rltask view` takes to show a generated run of 1,000 attempts in
 * headless Chromium (Debian's, through playwright-core), as a ratio to `node -e 0` (t₀) measured in the same run.
 *
 * The viewer is started in this process (`loadSources` + `startViewer`, the app rebuilt first by
 * scripts/buildViewer.ts); each sample opens `#/run/run-1` in a fresh browser context (no cache) and stops when the
 * first attempt row is drawn: loading the page and the bundle, fetching the run's JSON (1,000 records) and rendering
 * the virtualised table. Also given: the same time as the page measures it (`performance.now()` at the first row,
 * from the navigation's start), and how many rows the table drew.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildViewer, VIEWER_ASSETS_DIR } from '../scripts/buildViewer.ts';
import { launchChromium } from '../spec/viewer/launchChromium.ts';
import { loadSources } from '../src/viewer/loadSources.ts';
import { startViewer } from '../src/viewer/startViewer.ts';
import { type Figure, measure, median, printTable, run } from './_timing.ts';
import { writeSyntheticRun } from './syntheticRun.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const iterations = values.quick ? 5 : 20;
const ATTEMPTS = 1000;

const t0 = await measure('baseline', 'node -e 0 (t₀)', async () => {
  const r = await run(process.execPath, ['-e', '0'], process.cwd());
  if (r.code !== 0) throw new Error('node -e 0 failed');
}, { iterations, warmup: 2 });

await buildViewer();
const scratch = await mkdtemp(path.join(tmpdir(), 'rltask-bench-view-'));
const browser = await launchChromium();
try {
  const dir = path.join(scratch, 'run');
  await writeSyntheticRun(dir, ATTEMPTS);
  const viewer = await startViewer({ sources: await loadSources([dir]), assetsDir: VIEWER_ASSETS_DIR, port: 0 });
  const inPage: number[] = [];
  let rows = 0;
  const firstRender = await measure(
    'view',
    `first render of a ${ATTEMPTS}-attempt run`,
    async () => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      try {
        const page = await context.newPage();
        await page.goto(`${viewer.url}/#/run/run-1`, { waitUntil: 'commit' });
        await page.locator('table.attempts tbody tr.row').first().waitFor();
        inPage.push(Number(await page.evaluate('performance.now()')));
        rows = await page.locator('table.attempts tbody tr.row').count();
      } finally {
        await context.close();
      }
    },
    { iterations, warmup: 2 },
  );
  await viewer.close();
  const t0b = await measure('baseline', 'node -e 0 (t₀), again at the end', async () => {
    const r = await run(process.execPath, ['-e', '0'], process.cwd());
    if (r.code !== 0) throw new Error('node -e 0 failed');
  }, { iterations, warmup: 1 });
  const t = (t0.medianMs + t0b.medianMs) / 2;
  const figures: Figure[] = [t0, { ...firstRender, extra: { 'in-page ms (median)': median(inPage), 'rows drawn': rows } }, t0b];
  printTable(
    figures.map((f) => ({ ...f, ratio: f.medianMs / t })),
    t,
  );
} finally {
  await browser.close();
  await rm(scratch, { recursive: true, force: true });
}
