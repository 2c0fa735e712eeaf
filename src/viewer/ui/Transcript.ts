import { html } from 'htm/preact';
import type { TranscriptEvent } from '../transcriptEventSchema.ts';
import { show } from './format.ts';
import { hrefOf } from './route.ts';

type ToolEvent = Extract<TranscriptEvent, { type: 'tool' }>;

/** A tool call's input, the large texts (a written file, a replacement) shown as text rather than escaped JSON. */
function ToolInput(p: { input: unknown }) {
  if (typeof p.input !== 'object' || p.input === null) return html`<pre>${show(p.input)}</pre>`;
  const entries = Object.entries(p.input);
  if (entries.length === 0) return html`<div class="muted">no input</div>`;
  return html`<dl class="tool-input">
    ${entries.map(([k, v]) => html`<dt>${k}</dt><dd>${typeof v === 'string' && v.includes('\n') ? html`<pre tabindex="0">${v}</pre>` : html`<code>${show(v)}</code>`}</dd>`)}
  </dl>`;
}

/**
 * An attempt's transcript as a conversation: the prompt, then per turn the assistant's text, its thinking
 * (collapsed), each tool call with its input and result, and the API's errors and retries where they happened.
 */
export function Transcript(p: { run: string; attempt: number; events: readonly TranscriptEvent[]; turn: number | null }) {
  const results = new Map<string, ToolEvent>();
  // By turn and id: ids are unique per conversation on the real API, but a stand-in or proxy may reuse them.
  for (const e of p.events) if (e.type === 'tool') results.set(`${e.turn}\0${e.id}`, e);
  const seenTurns = new Set<number>();
  const anchor = (turn: number) => {
    if (seenTurns.has(turn)) return null;
    seenTurns.add(turn);
    return html`<h3 class=${`turn-head${p.turn === turn ? ' target' : ''}`} id=${`turn-${turn}`}>
      turn ${turn} <a class="permalink" href=${hrefOf({ page: 'attempt', run: p.run, attempt: p.attempt, turn })} aria-label=${`permalink to turn ${turn}`}>¶</a>
    </h3>`;
  };
  return html`<div class="transcript">
    ${p.events.map((e, i) => {
      switch (e.type) {
        case 'attempt':
          return null;
        case 'start':
          return html`<div key=${i}>
            <details class="system"><summary>system prompt · model ${e.model} · tools ${e.tools.join(', ')}</summary><pre>${e.system}</pre></details>
            <div class="msg user"><div class="who">prompt</div><pre class="prose">${e.prompt}</pre></div>
          </div>`;
        case 'response':
          return html`<div key=${i}>
            ${anchor(e.turn)}
            ${e.content.map((b) => {
              if (b.type === 'text' && 'text' in b && typeof b.text === 'string') return html`<div class="msg assistant"><div class="who">assistant</div><pre class="prose">${b.text}</pre></div>`;
              if (b.type === 'thinking' && 'thinking' in b && typeof b.thinking === 'string') return html`<details class="thinking"><summary>thinking</summary><pre class="prose">${b.thinking}</pre></details>`;
              if (b.type === 'redacted_thinking') return html`<div class="muted">(redacted thinking)</div>`;
              if (b.type === 'tool_use' && 'id' in b && typeof b.id === 'string' && 'name' in b) {
                const r = results.get(`${e.turn}\0${b.id}`);
                return html`<div class=${`tool${r?.isError === true ? ' is-error' : ''}`} data-tool=${String(b.name)}>
                  <div class="who">tool call <code>${String(b.name)}</code></div>
                  <${ToolInput} input=${'input' in b ? b.input : undefined} />
                  ${r === undefined
                    ? html`<div class="muted">no result recorded</div>`
                    : html`<div class="result"><div class="who">${r.isError ? html`<span class="badge b-failed">error</span> ` : null}result${r.truncated === true ? ' (call cut off at max_tokens, not run)' : ''}</div><pre class=${b.name === 'run_tests' ? 'mono' : 'prose'} tabindex="0">${r.result}</pre></div>`}
                </div>`;
              }
              return html`<pre>${show(b)}</pre>`;
            })}
            ${e.note === undefined ? null : html`<div class="muted">${e.note}</div>`}
            <div class="muted small">stop reason ${e.stop_reason ?? '—'}</div>
          </div>`;
        case 'tool':
          return null;
        case 'http_error':
          return html`<div key=${i} class="api-error warn" role="note">${anchor(e.turn)}HTTP error${e.status === undefined ? '' : ` ${show(e.status)}`}: ${e.message ?? ''}${e.willRetry === true ? ' — retried' : ''}</div>`;
        case 'api_error':
          return html`<div key=${i} class="api-error" role="note">API error${e.status === undefined ? '' : ` ${show(e.status)}`}: ${e.message}${e.counted === undefined ? '' : ` (${e.counted})`}</div>`;
        case 'end':
          return html`<div key=${i} class="end">ended: <strong>${e.ending}</strong>${e.turns === undefined ? '' : ` after ${e.turns} turns`}${e.error === undefined ? '' : ` — ${e.error}`}</div>`;
        case 'grade':
          return null;
        case 'internal_error':
          return html`<div key=${i} class="api-error" role="note">internal error: <pre>${e.error}</pre></div>`;
        case 'other':
          return html`<details key=${i}><summary>line ${e.line}: an entry this viewer does not know</summary><pre>${show(e.raw)}</pre></details>`;
      }
    })}
  </div>`;
}
