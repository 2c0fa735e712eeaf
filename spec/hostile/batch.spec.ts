/**
 * Copies of a correct fix and of the bug, interleaved, graded in ONE `grade --json` batch with the task's own
 * limits: no false reject, no false accept, no error, one result per workspace — the batch machinery (pool,
 * concurrency, shared ts-morph) adds no error of its own. Copies are numbered in a comment, so no two
 * workspaces are byte-identical. The suite runs a few copies; the README's figures come from
 *   RLTASK_BATCH_COPIES=100 node --import tsx --test spec/hostile/batch.spec.ts
 * which prints the counts and timings as a `# batch:` line.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { cli, DROPOUT_YAML, dropoutTask } from '../_helpers.ts';
import { parseBatch, Scratch, settledProcesses } from './_support.ts';

const COPIES = Number(process.env['RLTASK_BATCH_COPIES'] ?? 3);
let scratch: Scratch;
const expected = new Map<string, 'passed' | 'failed'>();

before(async () => {
  scratch = await Scratch.create('batch');
  const spec = await dropoutTask();
  const bug = spec.files.find((f) => f.path === 'dropout.ts')!.content;
  const edit = spec.solution.edits[0]!;
  const fix = bug.replace(edit.find, edit.replace);
  for (let i = 0; i < COPIES; i++) {
    for (const [name, source, want] of [['fix', fix, 'passed'], ['bug', bug, 'failed']] as const) {
      const ws = await scratch.workspace(spec, `${name}-${i}`, new Map([['dropout.ts', `${source}// copy ${i}\n`]]));
      expected.set(ws, want);
    }
  }
});

after(async () => {
  const leftover = await settledProcesses(scratch.marker);
  const gone = await scratch.cleanup();
  assert.deepEqual(leftover, []);
  assert.ok(gone);
});

it(`${COPIES} copies of the fix and ${COPIES} of the bug in one batch: 0 false rejects, 0 false accepts, 0 errors`, async () => {
  const started = performance.now();
  const run = await cli(['grade', DROPOUT_YAML, ...expected.keys(), '--json']);
  const wallMs = performance.now() - started;
  const results = parseBatch(run.stdout);
  assert.equal(results.size, expected.size, run.stderr.slice(0, 1000));
  let falseRejects = 0;
  let falseAccepts = 0;
  let errors = 0;
  const durations: number[] = [];
  for (const [ws, want] of expected) {
    const r = results.get(ws)!;
    durations.push(r.durationMs);
    if (r.status === 'error') errors++;
    else if (want === 'passed' && r.status !== 'passed') falseRejects++;
    else if (want === 'failed' && r.status !== 'failed') falseAccepts++;
  }
  durations.sort((a, b) => a - b);
  process.stdout.write(
    `# batch: ${COPIES} fix + ${COPIES} bug, false rejects ${falseRejects}, false accepts ${falseAccepts}, errors ${errors}; ` +
      `wall ${(wallMs / 1000).toFixed(1)} s, per-grade median ${durations[Math.floor(durations.length / 2)]} ms, max ${durations.at(-1)} ms\n`,
  );
  assert.equal(falseRejects, 0);
  assert.equal(falseAccepts, 0);
  assert.equal(errors, 0);
  assert.equal(run.code, 1);
});
