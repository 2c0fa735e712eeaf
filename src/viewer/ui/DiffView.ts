import { html as diffHtml } from 'diff2html';
import { ColorSchemeType } from 'diff2html/lib/types.js';
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';

/** diff2html's panes scroll sideways: a keyboard must be able to reach them (tabindex), and a reader to name them. */
function focusable(rendered: string): string {
  return rendered.replace(/class="(d2h-file-diff|d2h-file-side-diff)"/g, 'class="$1" tabindex="0" role="region" aria-label="diff"');
}

/** A unified diff rendered by diff2html, unified or side by side. */
export function DiffView(p: { diff: string }) {
  const [layout, setLayout] = useState<'line-by-line' | 'side-by-side'>('line-by-line');
  const rendered = useMemo(() => (p.diff === '' ? '' : focusable(diffHtml(p.diff, { outputFormat: layout, drawFileList: false, colorScheme: ColorSchemeType.AUTO }))), [p.diff, layout]);
  if (p.diff === '') return html`<p>The attempt left the files unchanged.</p>`;
  return html`<div>
    <div class="filters" role="group" aria-label="diff layout">
      <button type="button" aria-pressed=${layout === 'line-by-line'} onClick=${() => setLayout('line-by-line')}>unified</button>
      <button type="button" aria-pressed=${layout === 'side-by-side'} onClick=${() => setLayout('side-by-side')}>side by side</button>
    </div>
    <div class="diff" dangerouslySetInnerHTML=${{ __html: rendered }}></div>
  </div>`;
}
