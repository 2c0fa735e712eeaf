import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanupTmp, cli, DROPOUT_YAML, dropoutWorkspace, tmp, withScale } from '../_helpers.ts';

after(cleanupTmp);

const stripTimes = (line: string) => JSON.stringify({ ...JSON.parse(line), durationMs: 0 });

describe('rltask grade', () => {
  it('fails the planted bug (exit 1) with one JSON object and an actionable counterexample', async () => {
    const ws = await dropoutWorkspace();
    const r = await cli(['grade', DROPOUT_YAML, ws, '--json']);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const g = JSON.parse(lines[0]!);
    assert.equal(g.workspace, ws);
    assert.equal(g.task, 'variance-dropout');
    assert.equal(g.passed, false);
    assert.equal(g.reward, 0);
    assert.equal(g.status, 'failed');
    assert.equal(typeof g.seed, 'number');
    assert.equal(typeof g.durationMs, 'number');
    assert.equal(typeof g.output, 'string');
    assert.match(g.feedback, /^exact-kept-scale: kept outputs are scaled by 1\.0\d+ at p = [\d.]+; \(1−p\)\^-0\.5 = 1\.0\d+/);
    const kept = g.checks.find((c: { id: string }) => c.id === 'exact-kept-scale');
    assert.equal(kept.passed, false);
    assert.equal(typeof kept.counterexample.seed, 'number');
    for (const c of g.checks) assert.deepEqual(Object.keys(c).slice(0, 3), ['id', 'passed', 'message']);
  });

  it('--fail-fast gives the same verdict and exit code, with the checks after the first failure skipped', async () => {
    const ws = await dropoutWorkspace();
    const r = await cli(['grade', DROPOUT_YAML, ws, '--json', '--fail-fast']);
    assert.equal(r.code, 1, r.stderr);
    const g = JSON.parse(r.stdout.trim());
    assert.equal(g.status, 'failed');
    assert.match(g.feedback, /^uses-sqrt: /);
    assert.ok(g.checks.filter((c: { skipped?: boolean }) => c.skipped === true).length >= 8);
  });

  it('passes the reference fix (exit 0, reward 1) and prints a readable report', async () => {
    const ws = await dropoutWorkspace(withScale('1.0 / Math.sqrt(keepProb)'));
    const r = await cli(['grade', DROPOUT_YAML, ws]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /PASSED \(reward 1\)/);
    assert.match(r.stdout, /✓ second-moment-ratio\s+8 runs: \|Σy²\/Σx² − 1\| ≤ [\d.]+ \(tolerance 0\.1, false-reject ≤ 1e-9 per run/);
    assert.match(r.stdout, /feedback: all \d+ checks passed/);
  });

  it('grades several workspaces as JSON Lines: one object per line, one line per workspace, nothing else on stdout', async () => {
    const good = await dropoutWorkspace(withScale('Math.pow(keepProb, -0.5)'));
    const bad = await dropoutWorkspace();
    const r = await cli(['grade', DROPOUT_YAML, good, bad, '--json', '--concurrency', '2']);
    assert.equal(r.code, 1);
    assert.ok(r.stdout.endsWith('}\n'), 'every line ends with a newline, the last one too');
    const lines = r.stdout.slice(0, -1).split('\n');
    assert.equal(lines.length, 2, r.stdout);
    const byWs = new Map(
      lines.map((line) => {
        const g: unknown = JSON.parse(line);
        assert.ok(typeof g === 'object' && g !== null && 'workspace' in g && 'status' in g, line);
        return [g.workspace, g.status];
      }),
    );
    assert.deepEqual([byWs.get(good), byWs.get(bad)], ['passed', 'failed']);
    assert.doesNotMatch(r.stdout, /workspaces:/, 'no summary line in JSON Lines');
  });

  it('ends a human-readable batch with a summary line (and a single report without one)', async () => {
    const good = await dropoutWorkspace(withScale('1.0 / Math.sqrt(keepProb)'));
    const bad = await dropoutWorkspace();
    const r = await cli(['grade', DROPOUT_YAML, good, bad, '--fail-fast']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal((r.stdout.match(/^variance-dropout v1 — /gm) ?? []).length, 2);
    assert.match(r.stdout, /\n2 workspaces: 1 passed, 1 failed, 0 errors\n$/);
    const one = await cli(['grade', DROPOUT_YAML, bad, '--fail-fast']);
    assert.equal(one.code, 1);
    assert.doesNotMatch(one.stdout, /workspaces:/);
  });

  it('gives identical JSON on a re-grade (apart from timings), and honours --seed', async () => {
    const ws = await dropoutWorkspace(withScale('keepProb ** -0.5'));
    const a = await cli(['grade', DROPOUT_YAML, ws, '--json']);
    const b = await cli(['grade', DROPOUT_YAML, ws, '--json']);
    assert.equal(stripTimes(a.stdout), stripTimes(b.stdout));
    const c = await cli(['grade', DROPOUT_YAML, ws, '--json', '--seed', '7']);
    assert.equal(JSON.parse(c.stdout).seed, 7);
    assert.equal(JSON.parse(c.stdout).status, 'passed');
  });

  it('exits 2 naming a workspace that does not exist or is a file, before grading any', async () => {
    const good = await dropoutWorkspace();
    const missing = path.join(await tmp(), 'nope');
    const file = path.join(await tmp(), 'file');
    await writeFile(file, '');
    for (const [ws, why] of [[missing, 'does not exist'], [file, 'is not a directory']] as const) {
      for (const json of [[], ['--json']]) {
        const r = await cli(['grade', DROPOUT_YAML, good, ws, ...json]);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.equal(r.stdout, '', 'nothing graded');
        assert.equal(r.stderr, `rltask grade: workspace ${ws} ${why}\n`);
      }
    }
  });

  it('exits 2 for a bad --seed', async () => {
    const r = await cli(['grade', DROPOUT_YAML, '.', '--seed', 'abc']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--seed expects a whole number/);
  });
});
