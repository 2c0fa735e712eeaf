import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gradeMany } from '../../src/grading/gradeMany.ts';
import type { GradeResult } from '../../src/grading/GradeResult.ts';
import { caseContents, taskCases } from '../../src/grading/gradeCases.ts';
import { pythonRuntime } from '../../src/runtime/python/pythonRuntime.ts';
import { stopPythonZygote } from '../../src/runtime/python/pythonZygote.ts';
import { killAllSandboxes, Sandbox, type SandboxOptions } from '../../src/sandbox/Sandbox.ts';
import { loadTask } from '../../src/task/loadTask.ts';
import { initWorkspace } from '../../src/workspace/initWorkspace.ts';
import type { TaskSpec } from '../../src/task/loadTask.ts';
import { cleanupTmp, DROPOUT_YAML, dropoutTask, dropoutWorkspace, ROOT, tmp, withScale } from '../_helpers.ts';
import { processTree, sandboxChildren, sandboxProcesses, survivors } from '../sandbox/_processes.ts';

let spec: TaskSpec;
let correct: string[];
let buggy: string[];

before(async () => {
  spec = await dropoutTask();
  correct = await Promise.all([withScale('1.0 / Math.sqrt(keepProb)'), withScale('Math.pow(keepProb, -0.5)'), withScale('keepProb ** -0.5')].map((e) => dropoutWorkspace(e)));
  buggy = await Promise.all([withScale('1.0 / keepProb'), withScale('Math.sqrt(keepProb)'), withScale('1.0')].map((e) => dropoutWorkspace(e)));
});
after(async () => {
  killAllSandboxes();
  await cleanupTmp();
});

/** Interleave the correct and buggy workspaces: c0, b0, c1, b1, … */
function mixed(): string[] {
  return correct.flatMap((c, i) => [c, buggy[i]!]);
}

function expected(dir: string): 'passed' | 'failed' {
  return correct.includes(dir) ? 'passed' : 'failed';
}

describe('gradeMany', () => {
  it('reports every workspace exactly once, with the right verdict, and returns them in input order', async () => {
    const dirs = mixed();
    const streamed: GradeResult[] = [];
    const results = await gradeMany(spec, dirs, { concurrency: 2, onResult: (r) => streamed.push(r) });
    assert.deepEqual(
      results.map((r) => r.workspace),
      dirs,
    );
    assert.equal(streamed.length, dirs.length);
    assert.deepEqual(new Set(streamed.map((r) => r.workspace)), new Set(dirs));
    for (const r of results) assert.equal(r.status, expected(r.workspace), `${r.workspace}: ${r.feedback}`);
    // The streamed objects are the returned ones (nothing re-graded or copied).
    for (const r of streamed) assert.ok(results.includes(r));
    assert.deepEqual(sandboxProcesses(), [], 'every child is gone once gradeMany returns');
  });

  it('never has more grades in flight than its concurrency', async () => {
    for (const concurrency of [1, 2]) {
      let active = 0;
      let most = 0;
      const started: number[] = [];
      const results = await gradeMany(spec, mixed(), {
        concurrency,
        // A grade holds exactly one child from its sandbox step until it ends: count those.
        startSandbox: async (o) => {
          active++;
          most = Math.max(most, active);
          const s = await Sandbox.start(o);
          started.push(s.pid!);
          void s.finished.then(() => active--);
          return s;
        },
      });
      assert.equal(results.length, 6);
      assert.equal(new Set(started).size, 6, 'one child per submission');
      assert.ok(most >= 1 && most <= concurrency, `concurrency ${concurrency}: ${most} grades held a child at once`);
      // And it keeps that many busy: a worker that ran out of prepared grades early would leave one slot idle.
      assert.equal(most, concurrency, `concurrency ${concurrency}: at most ${most} grades held a child at once`);
    }
  });

  it('under failFast, reports a workspace its static checks decide at once, and starts no child for it', async () => {
    // buggy[0] (1 / keepProb) and buggy[2] (1.0) compute no square root: uses-sqrt decides them statically.
    const dirs = [correct[0]!, buggy[0]!, buggy[2]!, correct[1]!];
    for (const concurrency of [1, 2]) {
      const order: string[] = [];
      const children: number[] = [];
      const results = await gradeMany(spec, dirs, {
        concurrency,
        failFast: true,
        onResult: (r) => order.push(r.workspace),
        startSandbox: async (o) => {
          const s = await Sandbox.start(o);
          children.push(s.pid!);
          return s;
        },
      });
      assert.deepEqual(results.map((r) => r.status), ['passed', 'failed', 'failed', 'passed']);
      for (const r of results.slice(1, 3)) assert.match(r.feedback, /^uses-sqrt: /);
      // The grades are prepared ahead of the sandbox step: the two decided ones are out before either correct one.
      assert.deepEqual(order.slice(0, 2), [buggy[0], buggy[2]], `concurrency ${concurrency}: ${order.map((d) => path.basename(d)).join(', ')}`);
      assert.equal(children.length, 2, 'a child for each correct workspace and none for the decided ones');
    }
  });

  it('under failFast, pre-starts no child for a tail of workspaces its static checks decide', async () => {
    // Through the CLI's own pool: count the sandbox processes that ever existed (they run long enough to be seen).
    const dirs = [correct[0]!, correct[1]!, buggy[0]!, buggy[2]!, buggy[0]!, buggy[2]!];
    const seen = new Set<number>();
    const watch = setInterval(() => {
      for (const p of sandboxChildren()) seen.add(p);
    }, 2);
    try {
      const results = await gradeMany(spec, dirs, { concurrency: 2, failFast: true });
      assert.deepEqual(results.map((r) => r.status), ['passed', 'passed', 'failed', 'failed', 'failed', 'failed']);
    } finally {
      clearInterval(watch);
    }
    assert.ok(seen.size <= 2, `${seen.size} sandbox children for 2 workspaces that needed one: ${[...seen].join(', ')}`);
    assert.deepEqual(sandboxProcesses(), []);
  });

  it('gives the same verdicts whatever the concurrency (the shared input cache is read-only)', async () => {
    const dirs = mixed();
    const one = await gradeMany(spec, dirs, { concurrency: 1 });
    const three = await gradeMany(spec, dirs, { concurrency: 3 });
    const strip = (r: GradeResult) => ({ ...r, durationMs: 0 });
    assert.deepEqual(three.map(strip), one.map(strip));
  });

  it('starts no new grade once aborted, and leaves no child behind', async () => {
    const controller = new AbortController();
    const dirs = mixed();
    const seen: string[] = [];
    let children: number[] = [];
    const results = await gradeMany(spec, dirs, {
      concurrency: 1,
      signal: controller.signal,
      onResult: (r) => {
        seen.push(r.workspace);
        // The pool has pre-started the next child by now: it must be killed too.
        children = sandboxProcesses().flatMap((pid) => processTree(pid));
        controller.abort();
      },
    });
    assert.deepEqual(seen, [dirs[0]]);
    assert.deepEqual(
      results.map((r) => r.workspace),
      [dirs[0]],
    );
    assert.ok(children.length > 0, 'a pre-started child existed when the batch was aborted');
    assert.deepEqual(await survivors(children), []);
    assert.deepEqual(await gradeMany(spec, dirs, { signal: controller.signal }), [], 'an aborted signal grades nothing');
  });

  it('drops the results of grades still in flight when aborted', async () => {
    const controller = new AbortController();
    const streamed: GradeResult[] = [];
    const results = await gradeMany(spec, correct, {
      concurrency: 3,
      signal: controller.signal,
      startSandbox: async (o) => {
        const s = await Sandbox.start(o);
        // Abort as soon as the first child is handed out: every grade is in flight or not started.
        controller.abort();
        return s;
      },
      onResult: (r) => streamed.push(r),
    });
    assert.deepEqual(results, []);
    assert.deepEqual(streamed, []);
  });
});

describe('gradeMany, runtime python', () => {
  let py: TaskSpec;
  const ws: Record<'fix' | 'bug', string> = { fix: '', bug: '' };
  before(async () => {
    py = await loadTask(path.join(ROOT, 'tasks/variance-dropout-py.yaml'));
    const cases = taskCases(py);
    for (const [name, kind] of [['fix', 'reference'], ['bug', 'bug']] as const) {
      ws[name] = await tmp();
      await initWorkspace(py, ws[name], { contents: caseContents(py, cases.find((c) => c.kind === kind)!) });
    }
  });
  after(() => stopPythonZygote());

  /** A start function that records what it hands out. */
  const recording = (taken: Sandbox[], onTake: () => void = () => undefined) => async (o: SandboxOptions): Promise<Sandbox> => {
    const s = await pythonRuntime.startChild(o);
    taken.push(s);
    onTake();
    return s;
  };
  const allFinished = (taken: readonly Sandbox[]): Promise<void> =>
    Promise.race([
      Promise.all(taken.map((s) => s.finished)).then(() => undefined),
      new Promise<void>((_, reject) => setTimeout(() => reject(new Error('a child the batch took is still running')), 20_000).unref()),
    ]);

  it('a grade takes one child: its static checks read the code there, then its properties run in it', async () => {
    const taken: Sandbox[] = [];
    const results = await gradeMany(py, [ws.fix, ws.bug, ws.fix], { concurrency: 2, failFast: true, startSandbox: recording(taken) });
    assert.deepEqual(results.map((r) => r.status), ['passed', 'failed', 'passed']);
    // The bug is decided by uses-sqrt under failFast, after its child read the code, and is never loaded.
    assert.equal(results[1]!.checks.find((c) => c.id === 'load')?.skipped, true);
    assert.equal(taken.length, 3);
    await allFinished(taken);
  });

  it('an aborted batch leaves no child it took running, prepared grades included', async () => {
    const controller = new AbortController();
    const taken: Sandbox[] = [];
    const results = await gradeMany(py, [ws.fix, ws.fix, ws.fix, ws.fix], { concurrency: 2, signal: controller.signal, startSandbox: recording(taken, () => controller.abort()) });
    assert.deepEqual(results, []);
    assert.ok(taken.length >= 1);
    await allFinished(taken);
  });
});

describe('grade CLI batch', () => {
  it('streams one JSON line per workspace, each with its workspace, and exits 1 when some fail', async () => {
    const dirs = mixed();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/run.ts'), 'grade', DROPOUT_YAML, ...dirs, '--json'], { cwd: ROOT });
    const lines: string[] = [];
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 1);
    assert.equal(buffered, '');
    const byWs = new Map(lines.map((l) => [JSON.parse(l).workspace as string, JSON.parse(l) as GradeResult]));
    assert.equal(lines.length, dirs.length);
    assert.equal(byWs.size, dirs.length);
    for (const d of dirs) assert.equal(byWs.get(d)?.status, expected(d), d);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`leaves no sandbox process behind on ${signal} in the middle of a batch`, async () => {
      const dirs = [...mixed(), ...mixed()];
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/run.ts'), 'grade', DROPOUT_YAML, ...dirs, '--json', '--concurrency', '2'], { cwd: ROOT });
      let out = '';
      let children: number[] = [];
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (children.length === 0 && out.includes('\n')) {
            // Grades in flight and pre-started children: all of them must die with the batch.
            children = sandboxProcesses(child.pid!).flatMap((pid) => processTree(pid));
            child.kill(signal);
            resolve();
          }
        });
      });
      const code = await closed;
      assert.notEqual(code, 0);
      assert.ok(children.length > 0, 'the batch had children when it was interrupted');
      assert.deepEqual(await survivors(children), []);
      const reported = out.trim().split('\n').map((l) => (JSON.parse(l) as GradeResult).workspace);
      assert.ok(reported.length < dirs.length, 'the batch stopped early');
      for (const ws of reported) assert.ok(dirs.includes(ws));
    });
  }
});
