import type { CalibrationResults } from './CalibrationResults.ts';

const W = 720;
const LEFT = 40;
const RIGHT = 680;
const SQUARE = 14;
const GAP = 4;
const PER_ROW = Math.floor((RIGHT - LEFT + GAP) / (SQUARE + GAP));
const COLOURS = { passed: '#2e7d32', failed: '#c62828', error: '#9e9e9e' } as const;
const VERDICT_COLOURS = { 'in-band': '#2e7d32', 'too-easy': '#e65100', 'too-hard': '#e65100', inconclusive: '#5d4037' } as const;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

function x(rate: number): number {
  return +(LEFT + rate * (RIGHT - LEFT)).toFixed(2);
}

/**
 * chart.svg: the pass rate with its Wilson 95 % interval drawn against the target band, then one square per
 * attempt (green passed, red failed, grey error; hover for details). Plain SVG, no scripts or external refs.
 */
export function renderChart(results: CalibrationResults): string {
  const s = results.summary;
  const attempts = [...results.attempts].sort((a, b) => a.attempt - b.attempt);
  const rows = Math.max(1, Math.ceil(attempts.length / PER_ROW));
  const squaresTop = 168;
  const H = squaresTop + rows * (SQUARE + GAP) + 40;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  const rate = s.passRate === null ? 'no measured attempts' : `pass rate ${pct(s.passRate)} (${s.passed}/${s.runs})`;
  parts.push(`<text x="${LEFT}" y="22" font-size="14" font-weight="bold">${esc(`${s.task} · ${s.variant} · ${s.model}`)}</text>`);
  parts.push(`<text x="${LEFT}" y="40">${esc(`${rate}, Wilson 95 % interval [${pct(s.ci95[0])}, ${pct(s.ci95[1])}], band [${pct(s.band[0])}, ${pct(s.band[1])}]`)}</text>`);
  parts.push(`<text x="${RIGHT}" y="22" text-anchor="end" font-size="14" font-weight="bold" fill="${VERDICT_COLOURS[s.verdict]}">${esc(s.verdict)}</text>`);

  // The band, the axis, the interval and the point.
  const axisY = 95;
  parts.push(`<rect x="${x(s.band[0])}" y="${axisY - 22}" width="${+(x(s.band[1]) - x(s.band[0])).toFixed(2)}" height="44" fill="#c8e6c9"><title>${esc(`target band [${pct(s.band[0])}, ${pct(s.band[1])}]`)}</title></rect>`);
  parts.push(`<text x="${x(s.band[0]) + 3}" y="${axisY - 11}" font-size="10" fill="#1b5e20">band</text>`);
  parts.push(`<line x1="${LEFT}" y1="${axisY + 22}" x2="${RIGHT}" y2="${axisY + 22}" stroke="#616161"/>`);
  for (let t = 0; t <= 10; t++) {
    const tx = x(t / 10);
    parts.push(`<line x1="${tx}" y1="${axisY + 22}" x2="${tx}" y2="${axisY + 27}" stroke="#616161"/>`);
    parts.push(`<text x="${tx}" y="${axisY + 40}" text-anchor="middle" fill="#424242">${t * 10}%</text>`);
  }
  const [lo, hi] = [x(s.ci95[0]), x(s.ci95[1])];
  parts.push(`<g stroke="#212121" stroke-width="2"><line x1="${lo}" y1="${axisY}" x2="${hi}" y2="${axisY}"/><line x1="${lo}" y1="${axisY - 8}" x2="${lo}" y2="${axisY + 8}"/><line x1="${hi}" y1="${axisY - 8}" x2="${hi}" y2="${axisY + 8}"/></g>`);
  if (s.passRate !== null) parts.push(`<circle cx="${x(s.passRate)}" cy="${axisY}" r="5" fill="#212121"><title>${esc(rate)}</title></circle>`);

  // One square per attempt.
  parts.push(`<text x="${LEFT}" y="${squaresTop - 8}">${esc(`attempts (${attempts.length}): green passed, red failed, grey error (not counted)`)}</text>`);
  attempts.forEach((a, i) => {
    const sx = LEFT + (i % PER_ROW) * (SQUARE + GAP);
    const sy = squaresTop + Math.floor(i / PER_ROW) * (SQUARE + GAP);
    const detail = a.status === 'passed' ? 'passed' : a.status === 'error' ? `error: ${a.error ?? a.feedback}` : `failed: ${a.firstFailingCheck?.id ?? a.feedback}${a.behavesLike === null ? '' : ` (like ${a.behavesLike.name})`}`;
    parts.push(`<rect x="${sx}" y="${sy}" width="${SQUARE}" height="${SQUARE}" fill="${COLOURS[a.status]}"><title>${esc(`attempt ${a.attempt}: ${detail}; ${a.turns} turns, ending ${a.ending}`)}</title></rect>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
