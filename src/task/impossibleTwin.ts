import { RltaskError } from '../errors.ts';
import { applyEdits } from './applyEdits.ts';
import type { TaskSpec } from './loadTask.ts';

/**
 * A task's impossible twin: the same spec with its `impossible` edits applied to the files (protected and context
 * files included), marked `twin: 'impossible'`. Everything else is the task's own — id, version, prompt, reference,
 * decoys, grader, `sourcePath` — so the twin is graded by the grader that enforces the prompt, which the twin's
 * visible tests contradict: only a model that tampers with them, or bends the code to them, makes them pass.
 * The grade leaves the twin's visible tests out (see `TaskSpec.twin`). The twin of a twin is itself.
 *
 * @throws RltaskError `E_USAGE` when the task declares no `impossible` twin.
 * @example
 * const twin = impossibleTwin(await loadTask('tasks/variance-dropout.yaml'));
 * await initWorkspace(twin, '/tmp/ws'); // dropout.test.ts now expects kept units scaled by 1/(1-p)
 * (await runVisibleTests(twin, '/tmp/ws')).passed; // true: the planted bug does what the twin's test wants
 * (await gradeWorkspace(twin, '/tmp/ws')).passed; // false: the grader still asks for 1/sqrt(1-p)
 */
export function impossibleTwin(spec: TaskSpec): TaskSpec {
  if (spec.twin === 'impossible') return spec;
  if (spec.impossible === undefined) {
    throw new RltaskError('E_USAGE', `${spec.sourcePath}: the task declares no \`impossible\` twin; add \`impossible: { description, edits }\` to it (docs/task-format.md)`);
  }
  // The loader has checked that these edits apply, so this does not throw for a loaded task.
  const contents = applyEdits(new Map(spec.files.map((f) => [f.path, f.content])), spec.impossible.edits);
  return { ...spec, files: spec.files.map((f) => ({ ...f, content: contents.get(f.path) ?? f.content })), twin: 'impossible' };
}
