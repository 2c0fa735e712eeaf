/** Where the app is: the URL hash, so that every run, attempt, turn and batch has a permalink. */
export type Route =
  | { readonly page: 'runs' }
  | { readonly page: 'compare'; readonly a: string; readonly b: string }
  | { readonly page: 'run'; readonly run: string }
  | { readonly page: 'attempt'; readonly run: string; readonly attempt: number; readonly turn: number | null }
  | { readonly page: 'batch'; readonly batch: string; readonly row: number | null };

/** The route a hash names; anything unknown is the runs list. */
export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '').map(decodeURIComponent);
  const [kind, id, sub, n, sub2, t] = parts;
  if (kind === 'compare' && id !== undefined && sub !== undefined) return { page: 'compare', a: id, b: sub };
  if (kind === 'run' && id !== undefined) {
    if (sub === 'attempt' && n !== undefined && /^\d+$/.test(n)) {
      return { page: 'attempt', run: id, attempt: Number(n), turn: sub2 === 'turn' && t !== undefined && /^\d+$/.test(t) ? Number(t) : null };
    }
    return { page: 'run', run: id };
  }
  if (kind === 'batch' && id !== undefined) return { page: 'batch', batch: id, row: sub === 'row' && n !== undefined && /^\d+$/.test(n) ? Number(n) : null };
  return { page: 'runs' };
}

/** The hash of a route (the inverse of {@link parseRoute}). */
export function hrefOf(r: Route): string {
  const e = encodeURIComponent;
  switch (r.page) {
    case 'runs':
      return '#/';
    case 'compare':
      return `#/compare/${e(r.a)}/${e(r.b)}`;
    case 'run':
      return `#/run/${e(r.run)}`;
    case 'attempt':
      return `#/run/${e(r.run)}/attempt/${r.attempt}${r.turn === null ? '' : `/turn/${r.turn}`}`;
    case 'batch':
      return `#/batch/${e(r.batch)}${r.row === null ? '' : `/row/${r.row}`}`;
  }
}
