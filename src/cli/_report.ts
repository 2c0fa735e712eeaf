import type { GradeResult } from '../grading/GradeResult.ts';

/** The human-readable grade report. */
export function formatReport(r: GradeResult): string {
  const lines: string[] = [];
  const head = r.status === 'passed' ? 'PASSED' : r.status === 'failed' ? 'FAILED' : 'ERROR';
  lines.push(`${r.task} v${r.taskVersion} — ${r.workspace}: ${head} (reward ${r.reward})   seed ${r.seed}, ${r.durationMs} ms`);
  for (const c of r.checks) {
    const mark = c.skipped === true ? '-' : c.passed ? '✓' : '✗';
    lines.push(`  ${mark} ${c.id.padEnd(26)} ${c.message}`);
    if (!c.passed && c.skipped !== true && c.counterexample !== undefined) lines.push(`      counterexample: ${JSON.stringify(c.counterexample)}`);
  }
  lines.push(`feedback: ${r.feedback}`);
  if (r.error !== undefined) lines.push(`error: ${r.error.code}: ${r.error.message}`);
  if (r.output.trim() !== '') lines.push('output (captured from the submission):', ...r.output.trimEnd().split('\n').map((l) => `  | ${l}`));
  return `${lines.join('\n')}\n`;
}

/** The last line of a human-readable batch: `3 workspaces: 1 passed, 1 failed, 1 errors`. */
export function formatSummary(results: readonly GradeResult[]): string {
  const count = (status: GradeResult['status']): number => results.filter((r) => r.status === status).length;
  return `${results.length} workspaces: ${count('passed')} passed, ${count('failed')} failed, ${count('error')} errors\n`;
}

/** Exit code for a set of results: 3 if the grader broke, else 2 for an unusable workspace, else 1 if any failed. */
export function exitCodeForResults(results: readonly GradeResult[]): 0 | 1 | 2 | 3 {
  if (results.some((r) => r.status === 'error' && r.error?.code !== 'E_WORKSPACE')) return 3;
  if (results.some((r) => r.status === 'error')) return 2;
  if (results.some((r) => r.status === 'failed')) return 1;
  return 0;
}
