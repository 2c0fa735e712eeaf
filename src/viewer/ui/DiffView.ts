import { ColorSchemeType } from 'diff2html/lib/types.js';
import { Diff2HtmlUI } from 'diff2html/lib/ui/js/diff2html-ui-base.js';
import hljs from 'highlight.js/lib/core';
import javascript from 'highlight.js/lib/languages/javascript';
import python from 'highlight.js/lib/languages/python';
import typescript from 'highlight.js/lib/languages/typescript';
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';

// Only the languages tasks are written in: highlight.js's full set would triple the bundle.
hljs.registerLanguage('javascript', javascript);
hljs.registerLanguage('typescript', typescript);
hljs.registerLanguage('python', python);

/** A unified diff rendered by diff2html with highlight.js colouring the code, unified or side by side. */
export function DiffView(p: { diff: string }) {
  const [layout, setLayout] = useState<'line-by-line' | 'side-by-side'>('line-by-line');
  const target = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = target.current;
    if (el === null || p.diff === '') return;
    const ui = new Diff2HtmlUI(el, p.diff, { outputFormat: layout, drawFileList: false, colorScheme: ColorSchemeType.AUTO, highlight: true, synchronisedScroll: true, fileContentToggle: false, stickyFileHeaders: false }, hljs);
    ui.draw();
    // diff2html's panes scroll sideways: a keyboard must be able to reach them, and a reader to name them.
    for (const pane of el.querySelectorAll('.d2h-file-diff, .d2h-file-side-diff')) {
      pane.setAttribute('tabindex', '0');
      pane.setAttribute('role', 'region');
      pane.setAttribute('aria-label', 'diff');
    }
  }, [p.diff, layout]);
  if (p.diff === '') return html`<p>The attempt left the files unchanged.</p>`;
  return html`<div>
    <div class="filters" role="group" aria-label="diff layout">
      <button type="button" aria-pressed=${layout === 'line-by-line'} onClick=${() => setLayout('line-by-line')}>unified</button>
      <button type="button" aria-pressed=${layout === 'side-by-side'} onClick=${() => setLayout('side-by-side')}>side by side</button>
    </div>
    <div class="diff" ref=${target}></div>
  </div>`;
}
