import assert from 'node:assert/strict';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { calibrationResultsSchema } from '../../src/calibration/CalibrationResults.ts';
import type { Io } from '../../src/cli/Io.ts';
import { main } from '../../src/cli/main.ts';
import { cleanupTmp, cli, DROPOUT_YAML, dropoutTask, tmp } from '../_helpers.ts';
import { type Policy, type StandIn, startStandIn } from '../calibration/_standIn.ts';

/** The real CLI with a key for the stand-in and nothing else from the Anthropic environment. */
function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ANTHROPIC_')) e[k] = v;
  return { ...e, ANTHROPIC_API_KEY: 'test-key', ...extra };
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

let server: StandIn;
/** 1 in 4 conversations fix the bug; the others keep it or edit the tests. */
let policyFor: (attempt: number) => Policy = (a) => (a % 4 === 1 ? 'fix' : a % 2 === 0 ? 'keep-bug' : 'edit-tests');

before(async () => {
  server = await startStandIn({ spec: await dropoutTask(), policyFor: (a) => policyFor(a), key: 'test-key' });
});
after(async () => {
  await server.close();
  await cleanupTmp();
});

describe('rltask calibrate', () => {
  it('1 in 4 fixes over 20 runs at concurrency 4: exactly 5 passes, ci95 ≈ [0.112, 0.469], inconclusive; a second run adds nothing', async () => {
    const out = path.join(await tmp('rltask-cal-cli-'), 'results');
    const args = ['calibrate', DROPOUT_YAML, '--runs', '20', '--concurrency', '4', '--model', 'stand-in', '--out', out, '--base-url', server.url];
    const r = await cli(args, { env: env() });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /pass rate 25\.0 % \(5\/20\), Wilson 95 % \[11\.2 %, 46\.9 %\], band \[10\.0 %, 40\.0 %\]: inconclusive/);
    assert.match(r.stdout, /attempts run now: 20/);
    // Progress on stderr, one plain line per attempt when stderr is not a terminal.
    assert.equal((r.stderr.match(/^attempt \d+: /gm) ?? []).length, 20);
    assert.doesNotMatch(r.stderr, /\r/);

    const json = calibrationResultsSchema.parse(JSON.parse(await readFile(path.join(out, 'validation_results.json'), 'utf8')));
    const s = json.summary;
    assert.equal(s.runs, 20);
    assert.equal(s.passed, 5);
    assert.equal(s.passRate, 0.25);
    assert.ok(Math.abs(s.ci95[0] - 0.112) < 5e-4 && Math.abs(s.ci95[1] - 0.469) < 5e-4, JSON.stringify(s.ci95));
    assert.deepEqual(s.band, [0.1, 0.4]);
    assert.equal(s.verdict, 'inconclusive');
    assert.equal(s.model, 'stand-in');
    assert.equal(s.variant, 'default');
    assert.deepEqual(
      json.attempts.filter((a) => a.passed).map((a) => a.attempt),
      [1, 5, 9, 13, 17],
    );
    assert.ok(json.attempts.filter((a) => a.attempt % 4 === 3).every((a) => a.firstFailingCheck?.id === 'protected:dropout.test.ts'));
    assert.ok(json.attempts.filter((a) => a.attempt % 2 === 0).every((a) => a.behavesLike?.name === 'bug'));
    const md = await readFile(path.join(out, 'VALIDATION_RESULTS.md'), 'utf8');
    assert.match(md, /\*\*Verdict: inconclusive\.\*\* Pass rate 25\.0 % \(5\/20\), Wilson 95 % interval \[11\.2 %, 46\.9 %\]/);
    assert.equal((md.match(/^\| \d+ \| /gm) ?? []).length, 20);
    assert.match(md, /!\[[^\]]*\]\(chart\.svg\)/);
    assert.match(await readFile(path.join(out, 'chart.svg'), 'utf8'), /<svg [^>]*>[\s\S]*inconclusive[\s\S]*<\/svg>\n$/);
    assert.equal((await readdir(path.join(out, 'transcripts'))).length, 20);

    const requests = server.requests();
    const again = await cli(args, { env: env() });
    assert.equal(again.code, 1, again.stderr);
    assert.equal(server.requests(), requests, 'no new requests: every attempt was finished');
    assert.match(again.stdout, /attempts run now: 0/);
    assert.match(again.stderr, /20 attempts requested, 20 already finished, 0 to run/);
    assert.deepEqual(calibrationResultsSchema.parse(JSON.parse(await readFile(path.join(out, 'validation_results.json'), 'utf8'))).attempts, json.attempts);
  });

  it('exit 0 when the interval lies in the band (--json summary on stdout)', async () => {
    policyFor = (a) => (a % 4 === 1 ? 'fix' : 'edit-tests');
    const out = await tmp('rltask-cal-cli-');
    const r = await cli(['calibrate', DROPOUT_YAML, '--runs', '4', '--model', 'stand-in', '--out', out, '--band', '0.001,0.999', '--json', '--no-stream'], { env: env({ ANTHROPIC_BASE_URL: server.url }) });
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { passed: number; runs: number; verdict: string };
    assert.deepEqual([summary.passed, summary.runs, summary.verdict], [1, 4, 'in-band']);
  });

  it('exit 2 before any work without ANTHROPIC_API_KEY', async () => {
    const out = path.join(await tmp('rltask-cal-cli-'), 'never');
    const requests = server.requests();
    const r = await cli(['calibrate', DROPOUT_YAML, '--runs', '2', '--model', 'm', '--out', out, '--base-url', server.url], { env: env({ ANTHROPIC_API_KEY: undefined }) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no API key: set ANTHROPIC_API_KEY/);
    assert.equal(server.requests(), requests);
    assert.equal(await exists(out), false, 'nothing was created');
  });

  it('exit 2 with a clear message when the API refuses the key (401)', async () => {
    const out = await tmp('rltask-cal-cli-');
    const r = await cli(['calibrate', DROPOUT_YAML, '--runs', '3', '--model', 'm', '--out', out, '--base-url', server.url], { env: env({ ANTHROPIC_API_KEY: 'wrong-key' }) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /rltask calibrate: the API refused the key \(401 Unauthorized\); check ANTHROPIC_API_KEY/);
  });

  it('exit 3 when no attempt could run (the API fails for good every time)', async () => {
    policyFor = () => 'server-error';
    const out = await tmp('rltask-cal-cli-');
    const r = await cli(['calibrate', DROPOUT_YAML, '--runs', '2', '--model', 'm', '--out', out, '--base-url', server.url, '--retries', '0'], { env: env() });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no attempt could run \(2 ended in errors/);
    assert.match(r.stdout, /errors \(not counted\): 2/);
  });

  it('draws a progress bar on a terminal', async () => {
    policyFor = () => 'edit-tests';
    const out = await tmp('rltask-cal-cli-');
    let stdout = '';
    let stderr = '';
    const io: Io = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), isTty: true, env: env(), signal: new AbortController().signal };
    const code = await main(['calibrate', DROPOUT_YAML, '--runs', '2', '--concurrency', '1', '--model', 'm', '--out', out, '--base-url', server.url], io);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /\r\x1b\[2K\[#{12}\.{12}\] 1\/2 {2}✓0 ✗1/);
    assert.match(stderr, /\r\x1b\[2K\[#{24}\] 2\/2 {2}✓0 ✗2 {2}ci95 \[0\.0 %, 65\.8 %\] inconclusive\n$/);
    assert.doesNotMatch(stderr, /^attempt \d+:/m, 'no plain lines on a terminal');
    assert.match(stdout, /pass rate 0\.0 % \(0\/2\)/);
  });

  it('exit 2 on bad input: unknown variant, bad band, missing flags', async () => {
    const out = await tmp('rltask-cal-cli-');
    const base = ['calibrate', DROPOUT_YAML, '--runs', '2', '--model', 'm', '--out', out, '--base-url', server.url];
    const variant = await cli([...base, '--variant', 'nope'], { env: env() });
    assert.equal(variant.code, 2);
    assert.match(variant.stderr, /no variant "nope"; available: default, formula, goal-only/);
    const band = await cli([...base, '--band', '0.5,0.2'], { env: env() });
    assert.equal(band.code, 2);
    assert.match(band.stderr, /--band expects two pass rates/);
    const missing = await cli(['calibrate', DROPOUT_YAML, '--runs', '2', '--out', out], { env: env() });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--model is required/);
    const runs = await cli([...base.slice(0, 3), '0', ...base.slice(4)], { env: env() });
    assert.equal(runs.code, 2);
    assert.match(runs.stderr, /--runs must be between 1 and/);
    const prices = path.join(out, 'prices.json');
    await writeFile(prices, JSON.stringify({ asOf: '2026-12-01', models: { m: { input: -1, output: 1 } } }));
    const badPrices = await cli([...base, '--prices', prices], { env: env() });
    assert.equal(badPrices.code, 2);
    assert.match(badPrices.stderr, /prices\.json: models\.m\.input: expected a number ≥ 0/);
    const noTwin = await cli(['calibrate', 'tasks/softplus.yaml', '--runs', '1', '--model', 'm', '--out', out, '--base-url', server.url, '--impossible'], { env: env() });
    assert.equal(noTwin.code, 2);
    assert.match(noTwin.stderr, /softplus\.yaml: the task declares no `impossible` twin/);
    assert.deepEqual((await readdir(out)).sort(), ['prices.json'], 'nothing written');
  });

  it('--impossible prints the cheating rate next to the pass rate; cost and cache in the summary line', async () => {
    policyFor = (a) => (a === 1 ? 'fix-str-replace' : 'keep-bug');
    const out = path.join(await tmp('rltask-cal-cli-'), 'twin');
    const r = await cli(['calibrate', DROPOUT_YAML, '--runs', '2', '--model', 'claude-sonnet-4-5', '--out', out, '--base-url', server.url, '--impossible', '--stall-seconds', '30', '--rpm', '600'], { env: env() });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /pass rate 50\.0 % \(1\/2\)/);
    assert.match(r.stdout, /cheating 50\.0 % \(1\/2: 0 tampered, 1 conformed\), Wilson 95 % \[9\.5 %, 90\.5 %\]; 1 followed the prompt/);
    assert.match(r.stdout, /cache hit \d+\.\d %\) .* cost \$0\.\d{4}/);
    assert.match(r.stderr, /^attempt 2: failed .*\[conformed\]/m);
  });
});
