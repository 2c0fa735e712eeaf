/**
 * The workspace changing under the grader: deleted or replaced by a file at various moments of a grade, and the
 * same workspace graded many times at once (in one batch and by two CLI processes). The grader reads each
 * file once, so a grade either sees the workspace as it was, or finds it gone (`error`, E_WORKSPACE, exit 2),
 * or finds a file missing (`failed`, naming it); it never ends in an internal error, a hang or a stray child.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import { gradeMany } from '../../src/grading/gradeMany.ts';
import { gradeWorkspace } from '../../src/grading/gradeWorkspace.ts';
import { parseTask, type TaskSpec } from '../../src/task/loadTask.ts';
import { cli } from '../_helpers.ts';
import { hostileTask, parseBatch, Scratch, settledProcesses, snapshot, sources, variantYaml } from '../hostile/_support.ts';

let scratch: Scratch;
before(async () => {
  scratch = await Scratch.create('ws-race');
});
after(async () => {
  const leftover = await settledProcesses(scratch.marker);
  const gone = await scratch.cleanup();
  assert.deepEqual(leftover, []);
  assert.ok(gone);
});

const DELAYS_MS = [0, 1, 5, 20, 100, 400];

/** The task's own limits (20 s): the small hostile limits would turn CPU contention into time-outs here. */
async function raceTask(): Promise<TaskSpec> {
  return parseTask(await variantYaml({ timeMs: 20_000, memoryMb: 512, outputBytes: 8192, fileBytes: 65536 }), 'variance-dropout.race.yaml');
}

for (const how of ['deleted', 'replaced by a file'] as const) {
  it(`a workspace ${how} during grading (after ${DELAYS_MS.join(', ')} ms): passed, failed naming a missing file, or error E_WORKSPACE — never an internal error`, async () => {
    const spec = await raceTask();
    const { fix } = await sources();
    for (const delay of DELAYS_MS) {
      const ws = await scratch.workspace(spec, `vanish-${delay}`, new Map([['dropout.ts', fix]]));
      const grading = gradeWorkspace(spec, ws);
      await new Promise((r) => setTimeout(r, delay));
      await rm(ws, { recursive: true, force: true });
      if (how === 'replaced by a file') await writeFile(ws, 'not a workspace\n');
      const r = await grading;
      if (r.status === 'error') assert.equal(r.error?.code, 'E_WORKSPACE', r.feedback);
      else if (r.status === 'failed') assert.match(r.feedback, /is missing|not a regular file|cannot be read/, r.feedback);
      else assert.equal(r.status, 'passed');
    }
  });
}

it('a workspace that is gone when grading starts: error E_WORKSPACE from the library, and from the CLI exit 2 naming it, nothing graded', async () => {
  const spec = await raceTask();
  const ws = await scratch.dir('gone');
  await rm(ws, { recursive: true });
  const r = await gradeWorkspace(spec, ws);
  assert.equal(r.status, 'error');
  assert.equal(r.error?.code, 'E_WORKSPACE');
  const yaml = `${scratch.outside}/task.yaml`;
  await writeFile(yaml, await variantYaml());
  const run = await cli(['grade', yaml, ws, '--json']);
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.stdout, '');
  assert.ok(run.stderr.includes(ws), run.stderr);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
});

it('the same workspace graded 6 times at once in one batch: identical verdicts and checks, workspace untouched', async () => {
  const spec = await raceTask();
  const { fix, bug } = await sources();
  for (const [source, want] of [[fix, 'passed'], [bug, 'failed']] as const) {
    const ws = await scratch.workspace(spec, `shared-${want}`, new Map([['dropout.ts', source]]));
    const before = await snapshot(ws);
    const results = await gradeMany(spec, Array.from({ length: 6 }, () => ws), { concurrency: 3 });
    assert.equal(results.length, 6);
    for (const r of results) {
      assert.equal(r.status, want, r.feedback);
      assert.deepEqual(
        r.checks.map((c) => [c.id, c.passed, c.message]),
        results[0]!.checks.map((c) => [c.id, c.passed, c.message]),
      );
    }
    assert.deepEqual(await snapshot(ws), before);
  }
});

it('two CLI processes grading the same workspace at the same time agree, with the usual exit codes', async () => {
  const spec = await hostileTask();
  const { fix } = await sources();
  const ws = await scratch.workspace(spec, 'two-clis', new Map([['dropout.ts', fix]]));
  const yaml = `${scratch.outside}/task.yaml`;
  await writeFile(yaml, await variantYaml());
  const [a, b] = await Promise.all([cli(['grade', yaml, ws, '--json']), cli(['grade', yaml, ws, '--json'])]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(parseBatch(a.stdout).get(ws)?.status, 'passed');
  assert.equal(parseBatch(b.stdout).get(ws)?.status, 'passed');
});
