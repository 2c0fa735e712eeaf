import { html } from 'htm/preact';
import type { CheckLine } from '../transcriptEventSchema.ts';
import { show } from './format.ts';

/** A grade's checks, each with its message, counterexample and metrics. */
export function Checks(p: { checks: readonly CheckLine[] }) {
  const one = (c: CheckLine) => {
      const state = c.skipped === true ? 'skipped' : c.passed ? 'passed' : 'failed';
      return html`<li class=${`check c-${state}`}>
        <span class=${`badge b-${state}`}>${state}</span> <code>${c.id}</code>
        ${c.message === '' ? null : html`<div class="message">${c.message}</div>`}
        ${c.counterexample === undefined ? null : html`<details open=${!c.passed}><summary>counterexample</summary><pre>${show(c.counterexample)}</pre></details>`}
        ${c.metrics === undefined ? null : html`<div class="muted">${Object.entries(c.metrics).map(([k, v]) => `${k} = ${v}`).join(' · ')}</div>`}
      </li>`;
  };
  const passed = p.checks.filter((c) => c.passed && c.skipped !== true);
  const rest = p.checks.filter((c) => !c.passed || c.skipped === true);
  return html`<div>
    ${rest.length === 0 ? null : html`<ol class="checks">${rest.map(one)}</ol>`}
    ${passed.length === 0 ? null : html`<details class="passed-checks"><summary>${passed.length} check${passed.length === 1 ? '' : 's'} passed</summary><ol class="checks">${passed.map(one)}</ol></details>`}
  </div>`;
}
