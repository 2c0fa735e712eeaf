import { html } from 'htm/preact';
import { useEffect } from 'preact/hooks';
import type { AttemptResponse } from '../ViewerApi.ts';
import { neighbour } from './attemptOrder.ts';
import { Checks } from './Checks.ts';
import { DiffView } from './DiffView.ts';
import { date, seconds, tokens, usd } from './format.ts';
import { hrefOf } from './route.ts';
import { Transcript } from './Transcript.ts';

/** One attempt: its outcome, the grade's checks, the final diff and the transcript. */
export function AttemptPage(p: { data: AttemptResponse; all: readonly number[]; turn: number | null }) {
  const { record: r, run } = p.data;
  const grade = p.data.events.find((e) => e.type === 'grade');
  const prev = neighbour(run.id, r.attempt, -1, p.all);
  const next = neighbour(run.id, r.attempt, 1, p.all);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.altKey || e.ctrlKey || e.metaKey) return;
      const to = e.key === 'j' ? next : e.key === 'k' ? prev : undefined;
      if (to !== undefined) location.hash = hrefOf({ page: 'attempt', run: run.id, attempt: to, turn: null });
      else if (e.key === 'u' || e.key === 'Escape') location.hash = hrefOf({ page: 'run', run: run.id });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [run.id, prev, next]);
  useEffect(() => {
    if (p.turn !== null) document.getElementById(`turn-${p.turn}`)?.scrollIntoView({ block: 'start' });
    else window.scrollTo(0, 0);
  }, [p.data, p.turn]);

  return html`<main>
    <nav class="crumbs" aria-label="attempt navigation">
      <a href=${hrefOf({ page: 'run', run: run.id })}>${run.summary.task} · ${run.summary.variant}</a>
      ${prev === undefined ? null : html` · <a href=${hrefOf({ page: 'attempt', run: run.id, attempt: prev, turn: null })}>previous (k)</a>`}
      ${next === undefined ? null : html` · <a href=${hrefOf({ page: 'attempt', run: run.id, attempt: next, turn: null })}>next (j)</a>`}
    </nav>
    <h1>Attempt ${r.attempt} <span class=${`badge b-${r.status}`}>${r.status}</span></h1>
    <dl class="facts">
      <dt>feedback</dt><dd>${r.feedback}</dd>
      ${r.firstFailingCheck === null ? null : html`<dt>first failing check</dt><dd><code>${r.firstFailingCheck.id}</code>: ${r.firstFailingCheck.message}</dd>`}
      ${r.behavesLike === null ? null : html`<dt>behaves like</dt><dd>${r.behavesLike.name} (${r.behavesLike.basis})</dd>`}
      ${r.cheat === undefined ? null : html`<dt>impossible twin</dt><dd>${r.cheat.kind}: ${r.cheat.evidence}</dd>`}
      ${r.error === undefined ? null : html`<dt>error</dt><dd class="error-text">${r.error}</dd>`}
      <dt>ending</dt><dd>${r.ending}${r.stopReason === null ? '' : ` (stop reason ${r.stopReason})`}</dd>
      <dt>turns</dt><dd>${r.turns}</dd>
      <dt>tokens</dt><dd>${tokens(r.inputTokens)} in / ${tokens(r.outputTokens)} out · cost ${usd(r.costUsd)}</dd>
      <dt>time</dt><dd>${seconds(r.durationMs)} in all · model ${seconds(r.agentMs)} · API wait ${seconds(r.apiWaitMs)} · grading ${seconds(r.gradeMs)}</dd>
      <dt>API errors</dt><dd>${r.httpErrors}${r.rateLimited > 0 ? ` (${r.rateLimited} rate limited)` : ''}</dd>
      <dt>started</dt><dd>${date(r.startedAt)}</dd>
      <dt>run seed</dt><dd>${run.summary.settings.seed}</dd>
    </dl>
    <div class="attempt-layout">
      <section aria-labelledby="transcript-heading">
        <h2 id="transcript-heading">Transcript</h2>
        ${p.data.transcriptProblem === null ? null : html`<p class="error-text">${p.data.transcriptProblem}</p>`}
        <${Transcript} run=${run.id} attempt=${r.attempt} events=${p.data.events} turn=${p.turn} />
      </section>
      <section aria-labelledby="diff-heading">
        <h2 id="diff-heading">Final diff</h2>
        <${DiffView} diff=${r.diff} />
        <h2>Grade</h2>
        ${grade === undefined ? html`<p class="muted">The transcript holds no grade.</p>` : html`<p>${grade.feedback}</p><${Checks} checks=${grade.checks} />`}
      </section>
    </div>
  </main>`;
}
