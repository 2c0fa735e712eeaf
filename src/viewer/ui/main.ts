/**
 * The viewer's browser app (bundled by scripts/buildViewer.ts): a hash router over the pages, each loading what
 * it shows from the JSON API of src/viewer/startViewer.ts.
 */
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { AttemptResponse, BatchResponse, RunResponse, SourcesResponse } from '../ViewerApi.ts';
import { getJson } from './api.ts';
import type { AttemptPage } from './AttemptPage.ts';
import { BatchPage } from './BatchPage.ts';
import { hrefOf, parseRoute, type Route } from './route.ts';
import { ComparePage, RunsPage } from './RunsPage.ts';
import { RunPage } from './RunPage.ts';

type Loaded =
  | { readonly page: 'runs'; readonly sources: SourcesResponse }
  | { readonly page: 'compare'; readonly sources: SourcesResponse; readonly a: string; readonly b: string }
  | { readonly page: 'run'; readonly run: RunResponse }
  | { readonly page: 'attempt'; readonly data: AttemptResponse; readonly all: readonly number[]; readonly turn: number | null; readonly Page: typeof AttemptPage }
  | { readonly page: 'batch'; readonly batch: BatchResponse; readonly row: number | null };

/** Runs, sources and batches do not change while the viewer runs: each is fetched once. */
function memo<T>(): (url: string) => Promise<T> {
  const seen = new Map<string, Promise<T>>();
  return (url) => {
    let p = seen.get(url);
    if (p === undefined) {
      p = getJson<T>(url);
      seen.set(url, p);
    }
    return p;
  };
}
const getSources = memo<SourcesResponse>();
const getRun = memo<RunResponse>();
const getBatch = memo<BatchResponse>();

async function load(r: Route): Promise<Loaded> {
  const e = encodeURIComponent;
  switch (r.page) {
    case 'runs':
      return { page: 'runs', sources: await getSources('/api/sources') };
    case 'compare':
      return { page: 'compare', sources: await getSources('/api/sources'), a: r.a, b: r.b };
    case 'run':
      return { page: 'run', run: await getRun(`/api/runs/${e(r.run)}`) };
    case 'attempt': {
      // The attempt page brings diff2html and highlight.js: loaded when first needed, so the lists start sooner.
      const [data, run, { AttemptPage: Page }] = await Promise.all([getJson<AttemptResponse>(`/api/runs/${e(r.run)}/attempts/${r.attempt}`), getRun(`/api/runs/${e(r.run)}`), import('./AttemptPage.ts')]);
      return { page: 'attempt', data, all: run.attempts.map((a) => a.attempt), turn: r.turn, Page };
    }
    case 'batch':
      return { page: 'batch', batch: await getBatch(`/api/batches/${e(r.batch)}`), row: r.row };
  }
}

function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    let live = true;
    load(route).then(
      (l) => {
        if (!live) return;
        setLoaded(l);
        setError(null);
      },
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [route]);
  let page = null;
  if (error !== null) page = html`<main><h1>Not found</h1><p class="error-text">${error}</p></main>`;
  else if (loaded === null) page = html`<main><p aria-busy="true">loading…</p></main>`;
  else if (loaded.page === 'runs') page = html`<${RunsPage} sources=${loaded.sources} />`;
  else if (loaded.page === 'compare') page = html`<${ComparePage} sources=${loaded.sources} a=${loaded.a} b=${loaded.b} />`;
  else if (loaded.page === 'run') page = html`<${RunPage} key=${loaded.run.id} run=${loaded.run} />`;
  else if (loaded.page === 'attempt') page = html`<${loaded.Page} data=${loaded.data} all=${loaded.all} turn=${loaded.turn} />`;
  else page = html`<${BatchPage} batch=${loaded.batch} row=${loaded.row} />`;
  return html`<header class="top"><a href=${hrefOf({ page: 'runs' })} class="brand">rltask view</a></header>${page}`;
}

const root = document.getElementById('app');
if (root !== null) render(html`<${App} />`, root);
