import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { AttemptRow, RunResponse } from '../ViewerApi.ts';
import { setAttemptOrder } from './attemptOrder.ts';
import { seconds, tokens, valueOf } from './format.ts';
import { hrefOf } from './route.ts';
import { SummaryFacts } from './RunsPage.ts';

type Column = { readonly key: string; readonly label: string; readonly value: (a: AttemptRow) => string | number; readonly num?: boolean };

const COLUMNS: readonly Column[] = [
  { key: 'attempt', label: '#', value: (a) => a.attempt, num: true },
  { key: 'status', label: 'result', value: (a) => a.status },
  { key: 'check', label: 'first failing check', value: (a) => (a.status === 'error' ? (a.error ?? a.feedback) : (a.firstFailingCheck?.id ?? '')) },
  { key: 'like', label: 'behaves like', value: (a) => a.behavesLike?.name ?? '' },
  { key: 'ending', label: 'ending', value: (a) => a.ending },
  { key: 'turns', label: 'turns', value: (a) => a.turns, num: true },
  { key: 'tokens', label: 'tokens', value: (a) => a.inputTokens + a.outputTokens, num: true },
  { key: 'duration', label: 'duration', value: (a) => a.durationMs, num: true },
];

const ROW_HEIGHT = 32;
/** Rows drawn beyond the visible ones, so that scrolling never shows a blank edge. */
const OVERSCAN = 10;

function cell(c: Column, a: AttemptRow): string {
  if (c.key === 'tokens') return tokens(a.inputTokens + a.outputTokens);
  if (c.key === 'duration') return seconds(a.durationMs);
  return String(c.value(a));
}

/** One run: its summary, failure modes and the attempts table (sortable, filterable, virtualised). */
export function RunPage(p: { run: RunResponse }) {
  const { run } = p;
  const [status, setStatus] = useState<'all' | 'passed' | 'failed' | 'error'>('all');
  const [text, setText] = useState('');
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 }>({ key: 'attempt', dir: 1 });
  const [selected, setSelected] = useState(0);
  const selectedNow = useRef(0);
  selectedNow.current = selected;
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const scroller = useRef<HTMLDivElement>(null);

  const rows = useMemo(() => {
    const needle = text.trim().toLowerCase();
    const col = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[0];
    const kept = run.attempts.filter(
      (a) =>
        (status === 'all' || a.status === status) &&
        (needle === '' || [a.firstFailingCheck?.id, a.behavesLike?.name, a.ending, a.error].some((v) => v !== undefined && v.toLowerCase().includes(needle))),
    );
    if (col === undefined) return kept;
    return [...kept].sort((x, y) => {
      const vx = col.value(x);
      const vy = col.value(y);
      return (vx < vy ? -1 : vx > vy ? 1 : x.attempt - y.attempt) * sort.dir;
    });
  }, [run, status, text, sort]);

  useEffect(() => setAttemptOrder(run.id, rows.map((a) => a.attempt)), [run.id, rows]);
  useEffect(() => {
    const el = scroller.current;
    if (el !== null) setHeight(el.clientHeight);
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Keys typed into a control, or Enter on a button or link, are the control's.
      const t = e.target;
      if (t instanceof HTMLInputElement || t instanceof HTMLSelectElement || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === 'Enter' && (t instanceof HTMLButtonElement || t instanceof HTMLAnchorElement)) return;
      const move = e.key === 'j' ? 1 : e.key === 'k' ? -1 : 0;
      if (move !== 0) {
        // From the ref, not the render's value: keys can come faster than renders.
        const next = Math.max(0, Math.min(rows.length - 1, selectedNow.current + move));
        selectedNow.current = next;
        setSelected(next);
        const el = scroller.current;
        if (el !== null) {
          const top = next * ROW_HEIGHT;
          if (top < el.scrollTop) el.scrollTop = top;
          else if (top + ROW_HEIGHT * 2 > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT * 2 - el.clientHeight;
        }
      } else if (e.key === 'Enter' || e.key === 'o') {
        const a = rows[selectedNow.current];
        if (a !== undefined) location.hash = hrefOf({ page: 'attempt', run: run.id, attempt: a.attempt, turn: null });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rows, run.id]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const shown = rows.slice(first, last);
  const s = run.summary;

  return html`<main>
    <h1>${s.task} · ${s.variant} · ${s.model}</h1>
    <${SummaryFacts} run=${run} />
    <h2>Failure modes</h2>
    ${run.failureModes.length === 0
      ? html`<p>No attempt failed.</p>`
      : html`<ul class="modes">
          ${run.failureModes.map(
            (m) => html`<li key=${m.check}>
              <strong><code>${m.check}</code></strong> — ${m.attempts.length} attempt${m.attempts.length === 1 ? '' : 's'}:${' '}
              ${m.attempts.slice(0, 20).map((n) => html`<a href=${hrefOf({ page: 'attempt', run: run.id, attempt: n, turn: null })}>#${n}</a> `)}${m.attempts.length > 20 ? '…' : ''}
              <div class="muted">behaves like ${m.behavesLike.map((b) => `${b.name} ×${b.count}`).join(', ')}</div>
              <div class="message">${m.message}</div>
            </li>`,
          )}
        </ul>`}
    <h2 id="attempts-heading">Attempts</h2>
    <div class="filters">
      <label>result <select value=${status} onChange=${(e: Event) => { const v = valueOf(e); setStatus(v === 'passed' || v === 'failed' || v === 'error' ? v : 'all'); selectedNow.current = 0; setSelected(0); }}>
        <option value="all">all</option><option value="passed">passed</option><option value="failed">failed</option><option value="error">error</option>
      </select></label>
      <label>check, decoy or ending <input type="search" value=${text} onInput=${(e: Event) => { setText(valueOf(e)); selectedNow.current = 0; setSelected(0); }} /></label>
      <span class="muted" aria-live="polite">${rows.length} of ${run.attempts.length} attempts · j/k to move, Enter to open</span>
    </div>
    <div class="scroller" ref=${scroller} tabindex="0" role="region" aria-labelledby="attempts-heading" onScroll=${(e: Event) => setScrollTop(e.currentTarget instanceof HTMLElement ? e.currentTarget.scrollTop : 0)}>
      <table class="attempts">
        <thead><tr>
          ${COLUMNS.map(
            (c) => html`<th scope="col" key=${c.key} class=${c.num === true ? 'num' : undefined} aria-sort=${sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
              <button type="button" class="sort" onClick=${() => setSort((cur) => ({ key: c.key, dir: cur.key === c.key ? (cur.dir === 1 ? -1 : 1) : 1 }))}>${c.label}${sort.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}</button>
            </th>`,
          )}
        </tr></thead>
        <tbody>
          ${first > 0 ? html`<tr class="spacer" aria-hidden="true" style=${`height:${first * ROW_HEIGHT}px`}><td colspan=${COLUMNS.length}></td></tr>` : null}
          ${shown.map((a, i) => {
            const index = first + i;
            const href = hrefOf({ page: 'attempt', run: run.id, attempt: a.attempt, turn: null });
            return html`<tr key=${a.attempt} class=${`row s-${a.status}${index === selected ? ' selected' : ''}`} data-attempt=${a.attempt} onClick=${() => (location.hash = href)}>
              ${COLUMNS.map((c) => html`<td class=${c.num === true ? 'num' : c.key}>${c.key === 'attempt' ? html`<a href=${href}>${a.attempt}</a>` : c.key === 'status' ? html`<span class=${`badge b-${a.status}`}>${a.status}</span>` : cell(c, a)}</td>`)}
            </tr>`;
          })}
          ${last < rows.length ? html`<tr class="spacer" aria-hidden="true" style=${`height:${(rows.length - last) * ROW_HEIGHT}px`}><td colspan=${COLUMNS.length}></td></tr>` : null}
        </tbody>
      </table>
    </div>
  </main>`;
}
