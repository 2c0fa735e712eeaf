/**
 * rltask as a library (`import … from 'rltask'`): load a task, materialize a workspace, grade it (one or many),
 * self-test a task, run the visible tests. Calibration is `rltask/calibration` (it loads the Anthropic SDK) and
 * the property library `rltask/properties`. The sandbox, the oracle and the pool are internals: grading starts
 * and stops children itself.
 *
 * @example
 * import { gradeWorkspace, initWorkspace, loadTask } from 'rltask';
 * const spec = await loadTask('tasks/variance-dropout.yaml');
 * await initWorkspace(spec, '/tmp/ws');
 * const { reward, feedback } = await gradeWorkspace(spec, '/tmp/ws');
 */
export { ErrorCodes, RltaskError, SpecError, exitCodeFor, formatProblem } from './errors.ts';
export type { ErrorCode, SpecProblem } from './errors.ts';
export { applyEdits, formatPath, loadTask, parseTask } from './task/loadTask.ts';
export type { TaskSpec } from './task/loadTask.ts';
export { impossibleTwin } from './task/impossibleTwin.ts';
export { taskSchema } from './task/taskSchema.ts';
export type { AstCheckSpec, Edit, TaskFile, TaskSpecData } from './task/taskSchema.ts';
export { initWorkspace } from './workspace/initWorkspace.ts';
export type { InitOptions } from './workspace/initWorkspace.ts';
export { readSubmission } from './workspace/readSubmission.ts';
export type { Submission, WorkspaceCheck } from './workspace/readSubmission.ts';
export { runVisibleTests } from './workspace/runVisibleTests.ts';
export type { VisibleTestRun } from './workspace/runVisibleTests.ts';
export { gradeWorkspace } from './grading/gradeWorkspace.ts';
export type { GradeOptions } from './grading/gradeWorkspace.ts';
export { gradeMany } from './grading/gradeMany.ts';
export type { GradeManyOptions } from './grading/gradeMany.ts';
export { gradeStatuses } from './grading/GradeResult.ts';
export type { Check, GradeResult, GradeStatus } from './grading/GradeResult.ts';
export { caseContents, gradeCase, taskCases } from './grading/gradeCases.ts';
export type { TaskCase } from './grading/gradeCases.ts';
export { falseRejectBound, selfTest } from './grading/selfTest.ts';
export type { CaseOutcome, RegradeOutcome, SelfTest, SelfTestOptions } from './grading/selfTest.ts';
export { GRADING_V8_FLAGS, tuneV8 } from './startup/tuneV8.ts';
export { runtimeNames } from './runtime/runtimeNames.ts';
export { usePython } from './runtime/python/pythonSandbox.ts';
export type { RuntimeName } from './runtime/runtimeNames.ts';
