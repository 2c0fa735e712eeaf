import { html } from 'htm/preact';
import { pct } from './format.ts';

/**
 * A pass rate against the target band, on a 0–100 % axis: the band shaded, the 95 % Wilson interval as a bar,
 * the rate as a dot (the markdown report's chart, one row).
 */
export function IntervalBar(p: { rate: number | null; ci: readonly [number, number]; band: readonly [number, number] }) {
  const w = 200;
  const x = (v: number) => 4 + v * (w - 8);
  const label = `pass rate ${pct(p.rate)}, 95 % interval ${pct(p.ci[0])} to ${pct(p.ci[1])}, band ${pct(p.band[0])} to ${pct(p.band[1])}`;
  return html`<svg class="interval" width=${w} height="18" viewBox=${`0 0 ${w} 18`} role="img" aria-label=${label}>
    <title>${label}</title>
    <line x1=${x(0)} x2=${x(1)} y1="9" y2="9" class="axis" />
    <rect x=${x(p.band[0])} width=${x(p.band[1]) - x(p.band[0])} y="2" height="14" class="band" />
    <line x1=${x(p.ci[0])} x2=${x(p.ci[1])} y1="9" y2="9" class="ci" />
    ${p.rate === null ? null : html`<circle cx=${x(p.rate)} cy="9" r="4" class="rate" />`}
  </svg>`;
}
