import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { RunItem, SourcesResponse } from '../ViewerApi.ts';
import { date, pct, tokens, usd } from './format.ts';
import { IntervalBar } from './IntervalBar.ts';
import { hrefOf } from './route.ts';

/** One run's summary as cells of a table row (shared with the side-by-side comparison). */
export function SummaryFacts(p: { run: RunItem }) {
  const s = p.run.summary;
  return html`<dl class="facts">
    <dt>task</dt><dd>${s.task} v${s.taskVersion}</dd>
    <dt>variant</dt><dd>${s.variant}</dd>
    <dt>model</dt><dd>${s.model}</dd>
    <dt>pass rate</dt><dd>${pct(s.passRate)} (${s.passed}/${s.runs}${s.errors > 0 ? `, ${s.errors} errors not counted` : ''})</dd>
    <dt>95 % interval</dt><dd>${pct(s.ci95[0])} – ${pct(s.ci95[1])} <${IntervalBar} rate=${s.passRate} ci=${s.ci95} band=${s.band} /></dd>
    <dt>band</dt><dd>${pct(s.band[0])} – ${pct(s.band[1])}</dd>
    <dt>verdict</dt><dd><span class=${`verdict v-${s.verdict}`}>${s.verdict}</span></dd>
    <dt>tokens</dt><dd>${tokens(s.tokens.input)} in / ${tokens(s.tokens.output)} out</dd>
    <dt>cost</dt><dd>${usd(s.costUsd)}</dd>
    <dt>updated</dt><dd>${date(s.updatedAt)}</dd>
    <dt>directory</dt><dd><code>${p.run.path}</code></dd>
  </dl>`;
}

/** The start page: every run and grade batch given on the command line. */
export function RunsPage(p: { sources: SourcesResponse }) {
  const [picked, setPicked] = useState<readonly string[]>([]);
  const toggle = (id: string) => setPicked((cur) => (cur.includes(id) ? cur.filter((x) => x !== id) : [...cur, id].slice(-2)));
  const [a, b] = picked;
  return html`<main>
    <h1>Calibration runs</h1>
    ${p.sources.runs.length === 0
      ? html`<p>No calibration run was given.</p>`
      : html`<table class="runs">
          <thead><tr><th scope="col"><span class="sr-only">compare</span></th><th scope="col">task</th><th scope="col">variant</th><th scope="col">model</th><th scope="col">pass rate</th><th scope="col">95 % interval vs band</th><th scope="col">verdict</th><th scope="col">tokens</th><th scope="col">cost</th><th scope="col">date</th></tr></thead>
          <tbody>
            ${p.sources.runs.map((r) => {
              const s = r.summary;
              return html`<tr key=${r.id}>
                <td><input type="checkbox" aria-label=${`compare ${r.path}`} checked=${picked.includes(r.id)} onChange=${() => toggle(r.id)} /></td>
                <td><a href=${hrefOf({ page: 'run', run: r.id })}>${s.task}</a></td>
                <td>${s.variant}</td>
                <td>${s.model}</td>
                <td class="num">${pct(s.passRate)} <span class="muted">(${s.passed}/${s.runs})</span></td>
                <td><${IntervalBar} rate=${s.passRate} ci=${s.ci95} band=${s.band} /></td>
                <td><span class=${`verdict v-${s.verdict}`}>${s.verdict}</span></td>
                <td class="num">${tokens(s.tokens.input + s.tokens.output)}</td>
                <td class="num">${usd(s.costUsd)}</td>
                <td>${date(s.updatedAt)}</td>
              </tr>`;
            })}
          </tbody>
        </table>
        <p>
          ${a !== undefined && b !== undefined
            ? html`<a class="button" href=${hrefOf({ page: 'compare', a, b })}>Compare the two selected runs side by side</a>`
            : html`<span class="muted">Tick two runs to compare them side by side.</span>`}
        </p>`}
    <h2>Grade batches</h2>
    ${p.sources.batches.length === 0
      ? html`<p>No grade batch was given.</p>`
      : html`<table>
          <thead><tr><th scope="col">file</th><th scope="col">workspaces</th><th scope="col">passed</th><th scope="col">failed</th><th scope="col">errors</th></tr></thead>
          <tbody>
            ${p.sources.batches.map(
              (b) => html`<tr key=${b.id}>
                <td><a href=${hrefOf({ page: 'batch', batch: b.id, row: null })}>${b.path}</a></td>
                <td class="num">${b.grades}</td><td class="num">${b.passed}</td><td class="num">${b.failed}</td><td class="num">${b.errors}</td>
              </tr>`,
            )}
          </tbody>
        </table>`}
  </main>`;
}

/** Two runs' summaries next to each other (e.g. two prompt variants of one task). */
export function ComparePage(p: { sources: SourcesResponse; a: string; b: string }) {
  const runs = [p.a, p.b].map((id) => p.sources.runs.find((r) => r.id === id));
  return html`<main>
    <h1>Two runs side by side</h1>
    <div class="side-by-side">
      ${runs.map((r, i) =>
        r === undefined
          ? html`<section key=${i}><p>No such run.</p></section>`
          : html`<section key=${r.id} aria-label=${r.path}><h2><a href=${hrefOf({ page: 'run', run: r.id })}>${r.summary.task} · ${r.summary.variant}</a></h2><${SummaryFacts} run=${r} /></section>`,
      )}
    </div>
  </main>`;
}
