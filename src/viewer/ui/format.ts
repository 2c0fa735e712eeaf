/** Display helpers shared by the pages. */

export function pct(x: number | null): string {
  return x === null ? '—' : `${(100 * x).toFixed(1)} %`;
}

export function tokens(n: number): string {
  return n < 1000 ? String(n) : n < 1_000_000 ? `${(n / 1000).toFixed(1)}k` : `${(n / 1_000_000).toFixed(2)}M`;
}

export function usd(x: number | null): string {
  return x === null ? '—' : `$${x.toFixed(x < 1 ? 4 : 2)}`;
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function date(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** The value of the form control an event came from ('' for any other target). */
export function valueOf(e: Event): string {
  const t = e.currentTarget;
  return t instanceof HTMLInputElement || t instanceof HTMLSelectElement ? t.value : '';
}

/** JSON for display: strings as they are, the rest indented. */
export function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}
