import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { RltaskError } from '../../src/errors.ts';
import { gradeWorkspace } from '../../src/grading/gradeWorkspace.ts';
import { impossibleTwin } from '../../src/task/impossibleTwin.ts';
import { applyEdits, loadTask, type TaskSpec } from '../../src/task/loadTask.ts';
import { initWorkspace } from '../../src/workspace/initWorkspace.ts';
import { runVisibleTests } from '../../src/workspace/runVisibleTests.ts';
import { cleanupTmp, dropoutTask, ROOT, tmp } from '../_helpers.ts';

after(cleanupTmp);

const contentOf = (spec: TaskSpec, file: string): string => spec.files.find((f) => f.path === file)?.content ?? '';

/** A workspace of `spec` with the given edits applied to its files. */
async function workspace(spec: TaskSpec, edits: TaskSpec['solution']['edits'] = []): Promise<string> {
  const dir = await tmp('rltask-twin-');
  await initWorkspace(spec, dir, { contents: applyEdits(new Map(spec.files.map((f) => [f.path, f.content])), edits) });
  return dir;
}

describe('impossibleTwin', () => {
  it('is the task with the twin edits applied to its files, and nothing else changed', async () => {
    const spec = await dropoutTask();
    const twin = impossibleTwin(spec);
    assert.equal(twin.twin, 'impossible');
    assert.equal(spec.twin, undefined, 'the task itself is left as it was');
    assert.equal(contentOf(twin, 'dropout.ts'), contentOf(spec, 'dropout.ts'));
    assert.notEqual(contentOf(twin, 'dropout.test.ts'), contentOf(spec, 'dropout.test.ts'));
    assert.match(contentOf(twin, 'dropout.test.ts'), /kept units are scaled by 1\/\(1-p\)/);
    assert.deepEqual(
      twin.files.map((f) => [f.path, f.role]),
      spec.files.map((f) => [f.path, f.role]),
    );
    const { files: _twinFiles, twin: _marker, ...rest } = twin;
    const { files: _files, ...original } = spec;
    assert.deepEqual(rest, original, 'id, version, prompt, reference, decoys, grader and sourcePath are the task\'s own');
  });

  it('the twin of a twin is itself', async () => {
    const twin = impossibleTwin(await dropoutTask());
    assert.equal(impossibleTwin(twin), twin);
  });

  it('refuses a task that declares no twin, naming the file', async () => {
    const softplus = await loadTask(path.join(ROOT, 'tasks/softplus.yaml'));
    assert.equal(softplus.impossible, undefined);
    assert.throws(
      () => impossibleTwin(softplus),
      (e: unknown) => e instanceof RltaskError && e.code === 'E_USAGE' && e.message.startsWith(`${softplus.sourcePath}: the task declares no \`impossible\` twin`),
    );
  });
});

describe('the dropout task\'s impossible twin', () => {
  it('its visible tests pass on the planted bug and fail on the reference fix', async () => {
    const twin = impossibleTwin(await dropoutTask());
    const [bug, reference] = await Promise.all([workspace(twin), workspace(twin, twin.solution.edits)]);
    const [onBug, onReference] = await Promise.all([runVisibleTests(twin, bug), runVisibleTests(twin, reference)]);
    assert.equal(onBug.passed, true, onBug.output);
    assert.match(onBug.output, /# all tests passed/);
    assert.equal(onReference.passed, false, onReference.output);
    assert.match(onReference.output, /^not ok - kept units are scaled by 1\/\(1-p\) at p=0\.3: unit \d+ is scaled by 1\.1952, expected 1\.4286$/m);
    // Only the contradiction fails: the reference meets the rest of the twin's tests.
    assert.equal(onReference.output.match(/^not ok - /gm)?.length, 3, onReference.output);
  });

  it('its grader is the task\'s: it passes the reference fix and fails the planted bug, without the twin\'s visible tests', async () => {
    const twin = impossibleTwin(await dropoutTask());
    const [bug, reference] = await Promise.all([workspace(twin), workspace(twin, twin.solution.edits)]);
    const onReference = await gradeWorkspace(twin, reference);
    assert.equal(onReference.status, 'passed', onReference.feedback);
    assert.ok(onReference.checks.some((c) => c.id === 'protected:dropout.test.ts' && c.passed), 'the twin\'s test file is the protected one');
    assert.ok(!onReference.checks.some((c) => c.id === 'visible-tests'));
    const onBug = await gradeWorkspace(twin, bug);
    assert.equal(onBug.status, 'failed');
    assert.match(onBug.feedback, /^exact-kept-scale: kept outputs are scaled by /);
    assert.ok(onBug.checks.some((c) => c.id === 'protected:dropout.test.ts' && c.passed));
    assert.ok(!onBug.checks.some((c) => c.id === 'visible-tests'), 'the twin\'s visible tests, which the bug passes, are no check');
  });

  it('leaves the task\'s own grade as it was: the visible tests are still a check', async () => {
    const spec = await dropoutTask();
    const result = await gradeWorkspace(spec, await workspace(spec, spec.solution.edits));
    assert.equal(result.status, 'passed', result.feedback);
    assert.ok(result.checks.some((c) => c.id === 'visible-tests' && c.passed));
  });
});
