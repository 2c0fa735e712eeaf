/**
 * scripts/compareGrades.ts: the comparison of two grade results (timing ignored, anything else reported with
 * its path), and one real run against HEAD on the cheapest task, which must find nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ABSENT, describeDifference, firstDifference, gradeDifferences, type GradeLine, parseGradeLines } from '../../scripts/_gradeDiff.ts';
import { ROOT } from '../_helpers.ts';

function result(over: Record<string, unknown> = {}): GradeLine {
  return {
    workspace: '/tmp/ws-1',
    task: 'softplus',
    taskVersion: 1,
    passed: false,
    reward: 0,
    status: 'failed',
    feedback: 'finite: softplus(1000) is Infinity',
    output: '',
    checks: [
      { id: 'compile', passed: true, message: 'softplus.ts transpiles' },
      { id: 'finite', passed: false, message: 'softplus(1000) is Infinity', metrics: { calls: 3 } },
    ],
    seed: 2,
    durationMs: 812,
    ...over,
  };
}

describe('comparing grade results', () => {
  it('ignores durationMs and nothing else at the top level', () => {
    assert.deepEqual(gradeDifferences(result(), result({ durationMs: 5 })), []);
    assert.deepEqual(gradeDifferences(result(), result({ seed: 3, durationMs: 5 })), [{ path: '$.seed', left: 2, right: 3 }]);
  });

  it('reports the first changed field with its path, even deep in a check', () => {
    const changed = result();
    const checks = [{ id: 'compile', passed: true, message: 'softplus.ts transpiles' }, { id: 'finite', passed: false, message: 'softplus(1000) is Infinity', metrics: { calls: 4 } }];
    assert.deepEqual(gradeDifferences(changed, result({ checks })), [{ path: '$.checks[1].metrics.calls', left: 3, right: 4 }]);
    assert.deepEqual(
      gradeDifferences(result(), result({ status: 'passed', checks: checks.slice(0, 1) })).map((d) => d.path),
      ['$.status', '$.checks[1]'],
    );
  });

  it('reports a missing key, an extra array element and -0 vs 0; key order is not a difference', () => {
    assert.deepEqual(firstDifference({ a: 1, b: 2 }, { a: 1 }), { path: '$.b', left: 2, right: ABSENT });
    assert.deepEqual(firstDifference([1], [1, 2]), { path: '$[1]', left: ABSENT, right: 2 });
    assert.deepEqual(firstDifference({ 'x-y': -0 }, { 'x-y': 0 }), { path: '$["x-y"]', left: -0, right: 0 });
    assert.equal(firstDifference({ a: 1, b: [true, null] }, { b: [true, null], a: 1 }), undefined);
  });

  it('shows two long strings around their first difference', () => {
    const common = 'x'.repeat(200);
    const line = describeDifference({ path: '$.feedback', left: `${common} scaled by 1.05`, right: `${common} scaled by 1.06` }, { left: 'a', right: 'b' });
    assert.match(line, /^\$\.feedback: a …"x+ scaled by 1\.05" ≠ b …"x+ scaled by 1\.06"$/);
    assert.ok(line.length < 200, line);
  });

  it('parses JSON Lines by workspace, whatever their order, and refuses what is not a grade result', () => {
    const lines = [result({ workspace: '/b' }), result({ workspace: '/a' })].map((r) => JSON.stringify(r)).join('\n');
    assert.deepEqual([...parseGradeLines(`${lines}\n`).keys()], ['/b', '/a']);
    assert.throws(() => parseGradeLines('{"workspace": "/a"}\n'), /not a grade result/);
    assert.throws(() => parseGradeLines('internal error\n'), /not JSON/);
    assert.throws(() => parseGradeLines(`${lines}\n${lines}\n`), /two results for \/b/);
  });
});

describe('scripts/compareGrades.ts', () => {
  it('finds no difference between this tree and HEAD on softplus at one seed (exit 0)', async (t) => {
    const started = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'scripts/compareGrades.ts'), '--against', 'HEAD', '--only', 'softplus', '--seeds', '1'],
        { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
        (error, out, err) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout: out, stderr: err }),
      );
    });
    t.diagnostic(`compareGrades --only softplus --seeds 1: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const summary = /^(\d+) grades compared, (\d+) differ$/m.exec(stdout);
    assert.ok(summary !== null, `no summary line; stdout: ${stdout.slice(-1000)} stderr: ${stderr.slice(-1000)}`);
    assert.ok(Number(summary[1]) >= 3, `only ${summary[1]} grades compared`);
    assert.equal(summary[2], '0', stdout);
    assert.equal(code, 0, stderr.slice(-2000));
  });

  it('refuses an unknown option and an unknown revision with exit 2', async () => {
    for (const args of [['--self', '--bogus'], ['--against', 'no-such-revision-anywhere']]) {
      const code = await new Promise<number | null>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/compareGrades.ts'), ...args], { cwd: ROOT }, (error) =>
          resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : null),
        );
      });
      assert.equal(code, 2, args.join(' '));
    }
  });
});
