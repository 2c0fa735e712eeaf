/**
 * Calibration: run a task many times against a model through the Messages API with a real tool-using agent
 * loop, grade every attempt, and decide with a Wilson interval whether the pass rate lies in a target band.
 */
export { calibrate, CHART_FILE, DEFAULT_BAND, DEFAULT_LIMITS, MARKDOWN_FILE, RESULTS_FILE } from './calibrate.ts';
export type { CalibrateOptions, CalibrationEvent, CalibrationRun } from './calibrate.ts';
export {
  attemptRecordSchema,
  attemptStatuses,
  behavesLikeSchema,
  calibrationResultsSchema,
  cheatSchema,
  endings,
  tokenUsageSchema,
  settingsSchema,
  summarySchema,
  verdicts,
} from './CalibrationResults.ts';
export type { AttemptRecord, AttemptStatus, BehavesLike, CalibrationResults, CalibrationSettings, CalibrationSummary, CheatingSummary, Ending, Verdict } from './CalibrationResults.ts';
export { cheatingOf, cheatKinds } from './cheatingOf.ts';
export type { CheatKind, CheatVerdict } from './cheatingOf.ts';
export { createClient } from './createClient.ts';
export type { ClientOptions } from './createClient.ts';
export { DecoyMatcher, normalizeSource } from './DecoyMatcher.ts';
export { BUILT_IN_PRICES, costUsd, loadPrices, priceFor } from './prices.ts';
export type { ModelPrice, PriceTable } from './prices.ts';
export { DEFAULT_VARIANT, promptFor, SYSTEM_PROMPT } from './promptFor.ts';
export { renderChart } from './renderChart.ts';
export { renderMarkdown, runsToDecide } from './renderMarkdown.ts';
export { RequestGate } from './RequestGate.ts';
export type { GateStats, RequestGateOptions } from './RequestGate.ts';
export { runAgent } from './runAgent.ts';
export type { AgentLimits, AgentOptions, AgentOutcome, TokenUsage } from './runAgent.ts';
export { attemptPaths, runAttempt } from './runAttempt.ts';
export type { AttemptContext } from './runAttempt.ts';
export { summarize } from './summarize.ts';
export { verdictFor } from './verdictFor.ts';
export { capOutput, TOOL_OUTPUT_CAP, toolDefinitions, WorkspaceTools } from './WorkspaceTools.ts';
export type { ToolDefinition, ToolOutcome } from './WorkspaceTools.ts';
