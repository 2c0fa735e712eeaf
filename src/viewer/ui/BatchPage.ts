import { html } from 'htm/preact';
import { useEffect } from 'preact/hooks';
import type { BatchResponse } from '../ViewerApi.ts';
import { Checks } from './Checks.ts';
import { seconds } from './format.ts';
import { hrefOf } from './route.ts';

/** A `grade --json` file: one row per workspace; a row opens its checks (and its URL says which). */
export function BatchPage(p: { batch: BatchResponse; row: number | null }) {
  const { batch } = p;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.altKey || e.ctrlKey || e.metaKey) return;
      const move = e.key === 'j' ? 1 : e.key === 'k' ? -1 : 0;
      if (move === 0) return;
      const next = Math.max(0, Math.min(batch.results.length - 1, (p.row ?? -1) + move));
      location.hash = hrefOf({ page: 'batch', batch: batch.id, row: next });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [batch, p.row]);
  return html`<main>
    <nav class="crumbs" aria-label="batch navigation"><a href=${hrefOf({ page: 'runs' })}>all runs and batches</a></nav>
    <h1>Grade batch <code>${batch.path}</code></h1>
    <p>${batch.grades} workspaces: ${batch.passed} passed, ${batch.failed} failed, ${batch.errors} could not be graded. j/k to move.</p>
    <table class="batch">
      <thead><tr><th scope="col">workspace</th><th scope="col">verdict</th><th scope="col">first failing check</th><th scope="col">duration</th><th scope="col">seed</th></tr></thead>
      <tbody>
        ${batch.results.map((g, i) => {
          const failing = g.checks.find((c) => !c.passed && c.skipped !== true);
          const open = p.row === i;
          return html`<tr key=${i} class=${`row s-${g.status}${open ? ' selected' : ''}`}>
              <td><a href=${hrefOf({ page: 'batch', batch: batch.id, row: open ? null : i })} aria-expanded=${open}>${g.workspace}</a></td>
              <td><span class=${`badge b-${g.status}`}>${g.status}</span></td>
              <td>${g.status === 'error' ? (g.error?.message ?? g.feedback) : failing === undefined ? '—' : html`<code>${failing.id}</code>`}</td>
              <td class="num">${seconds(g.durationMs)}</td>
              <td class="num">${g.seed}</td>
            </tr>
            ${open
              ? html`<tr class="detail"><td colspan="5">
                  <p>${g.feedback}</p>
                  <${Checks} checks=${g.checks} />
                  ${g.output === '' ? null : html`<details><summary>grader output</summary><pre class="mono" tabindex="0">${g.output}</pre></details>`}
                </td></tr>`
              : null}`;
        })}
      </tbody>
    </table>
  </main>`;
}
