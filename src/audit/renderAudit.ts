import type { AuditReport, MutantResult, ProgramResult } from './auditTask.ts';

/**
 * An audit report three ways: plain data for `--json` (programs without their file contents, surviving mutants
 * with their diff), terminal text, and Markdown for `--out`.
 */

function programJson(o: ProgramResult): Record<string, unknown> {
  return { kind: o.program.kind, name: o.program.name, why: o.program.why, status: o.status, failedBy: o.failedBy, ...(o.status === 'failed' ? {} : { passed: o.passed, feedback: o.feedback }) };
}

/** The report as plain JSON-ready data (`rltask audit --json` prints one such object per task). */
export function auditJson(r: AuditReport): Record<string, unknown> {
  const mutant = (m: MutantResult): Record<string, unknown> => ({
    ...programJson(m),
    operator: m.mutant.operator,
    line: m.mutant.line,
    ...(m.status === 'passed' ? { diff: m.diff, equivalence: m.equivalence } : {}),
  });
  return {
    task: r.task,
    version: r.version,
    seed: r.seed,
    ok: r.ok,
    problems: r.problems,
    chimeras: { total: r.chimeras.length, caught: caught(r.chimeras), results: r.chimeras.map(programJson) },
    hacks: { total: r.hacks.length, caught: caught(r.hacks), results: r.hacks.map(programJson) },
    mutants: {
      generated: r.mutants.generated,
      graded: r.mutants.results.length,
      killed: r.mutants.killed,
      equivalent: r.mutants.equivalent,
      score: r.mutants.score,
      minScore: r.mutants.minScore,
      results: r.mutants.results.map(mutant),
    },
    kills: r.kills,
    idleProperties: r.idleProperties,
    programs: programs(r),
    durationMs: r.durationMs,
    programsPerSecond: Number(rate(r)),
  };
}

const caught = (list: readonly ProgramResult[]): number => list.filter((o) => o.status === 'failed').length;
const programs = (r: AuditReport): number => r.chimeras.length + r.hacks.length + r.mutants.results.length;
const rate = (r: AuditReport): string => (programs(r) / Math.max(r.durationMs / 1000, 1e-3)).toFixed(2);

function survivorLines(list: readonly ProgramResult[]): string[] {
  return list.filter((o) => o.status !== 'failed').map((o) => `    ✗ ${o.program.name}: ${o.status === 'passed' ? 'got reward 1' : 'the grade broke'} — ${o.program.why}${o.status === 'error' ? ` (${o.feedback})` : ''}`);
}

function mutantLines(r: AuditReport, indent: string): string[] {
  const out: string[] = [];
  for (const m of r.mutants.results) {
    if (m.status === 'failed') continue;
    const e = m.equivalence;
    const tag = m.status === 'error' ? 'the grade broke' : e === undefined ? 'survived' : e.kind === 'accepted' ? `accepted as equivalent: ${e.reason}` : e.kind === 'likely-equivalent' ? `likely equivalent: ${e.how}` : `survived: ${e.how}`;
    out.push(`${indent}${e !== undefined && e.kind !== 'differs' ? '≈' : '✗'} ${m.mutant.id} — ${tag}`);
    if (m.status === 'passed' && (e === undefined || e.kind === 'differs')) {
      for (const l of m.diff.split('\n')) out.push(`${indent}    ${l}`);
      out.push(`${indent}    passed: ${m.passed.join(', ')}`);
    }
  }
  return out;
}

/** The report for a terminal. */
export function renderAuditText(r: AuditReport): string {
  const m = r.mutants;
  const lines = [
    `${r.task} v${r.version} — audit ${r.ok ? 'PASSED' : 'FAILED'}   seed ${r.seed}, ${programs(r)} programs in ${(r.durationMs / 1000).toFixed(1)} s (${rate(r)} programs/s)`,
    `  chimeras  ${caught(r.chimeras)}/${r.chimeras.length} caught`,
    ...survivorLines(r.chimeras),
    `  hacks     ${caught(r.hacks)}/${r.hacks.length} caught`,
    ...survivorLines(r.hacks),
    `  mutants   score ${m.score.toFixed(3)} (min ${m.minScore}): ${m.killed} killed of ${m.results.length} graded (${m.generated} generated), ${m.equivalent} equivalent`,
    ...mutantLines(r, '    '),
    `  kills     ${r.kills.map((k) => `${k.check} ${k.kills}`).join(', ')}`,
  ];
  if (r.idleProperties.length > 0) lines.push(`  idle      ${r.idleProperties.join(', ')} failed no audit program`);
  for (const p of r.problems) lines.push(`  problem   ${p}`);
  return `${lines.join('\n')}\n`;
}

/** The report as Markdown (`--out DIR` writes one file per task). */
export function renderAuditMarkdown(r: AuditReport): string {
  const m = r.mutants;
  const table = (list: readonly ProgramResult[]): string[] => [
    '| program | verdict | failed by | how it is wrong |',
    '|---|---|---|---|',
    ...list.map((o) => `| \`${o.program.name}\` | ${o.status === 'failed' ? 'caught' : o.status === 'passed' ? '**reward 1**' : 'grade broke'} | ${o.failedBy.slice(0, 3).join(', ')}${o.failedBy.length > 3 ? ', …' : ''} | ${o.program.why.replaceAll('|', '\\|')} |`),
  ];
  const survivors = m.results.filter((x) => x.status !== 'failed');
  const out = [
    `# Audit of ${r.task} v${r.version}: ${r.ok ? 'passed' : 'failed'}`,
    '',
    `Seed ${r.seed}, ${programs(r)} programs in ${(r.durationMs / 1000).toFixed(1)} s (${rate(r)} programs/s). Chimeras caught: ${caught(r.chimeras)}/${r.chimeras.length}; hacks caught: ${caught(r.hacks)}/${r.hacks.length}; mutation score ${m.score.toFixed(3)} (minimum ${m.minScore}): ${m.killed} killed of ${m.results.length} graded, ${m.equivalent} equivalent, ${m.generated} generated.`,
    '',
    ...(r.problems.length > 0 ? ['## Problems', '', ...r.problems.map((p) => `- ${p}`), ''] : []),
    '## Chimeras of the reference and the bug',
    '',
    ...table(r.chimeras),
    '',
    '## Hack battery',
    '',
    ...table(r.hacks),
    '',
    '## Surviving mutants',
    '',
    ...(survivors.length === 0 ? ['None: every graded mutant was killed.'] : survivors.flatMap((x) => [`### \`${x.mutant.id}\``, '', x.equivalence === undefined ? '' : `${x.equivalence.kind}: ${'reason' in x.equivalence ? x.equivalence.reason : x.equivalence.how}`, '', '```diff', x.diff, '```', '', `Passed: ${x.passed.join(', ')}.`, ''])),
    '',
    '## Kills per check',
    '',
    '| check | programs failed |',
    '|---|---:|',
    ...r.kills.map((k) => `| ${k.check} | ${k.kills} |`),
    ...r.idleProperties.map((p) => `| ${p} | 0 (idle) |`),
    '',
  ];
  return out.join('\n');
}
