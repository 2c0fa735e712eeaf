type Op = { readonly kind: ' ' | '-' | '+'; readonly line: string };

/** Cells of the LCS table we are willing to fill; beyond it the diff shows the whole file replaced. */
const MAX_CELLS = 4_000_000;

function lines(text: string): string[] {
  if (text === '') return [];
  const ls = text.split('\n');
  if (ls.at(-1) === '') ls.pop();
  return ls;
}

function ops(a: readonly string[], b: readonly string[]): Op[] {
  // Common prefix and suffix first: agent edits are usually a few lines in a long file.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const middle: Op[] = [];
  if ((am.length + 1) * (bm.length + 1) > MAX_CELLS) {
    middle.push(...am.map((line) => ({ kind: '-' as const, line })), ...bm.map((line) => ({ kind: '+' as const, line })));
  } else {
    const w = bm.length + 1;
    const t = new Uint32Array((am.length + 1) * w);
    for (let i = am.length - 1; i >= 0; i--) {
      for (let j = bm.length - 1; j >= 0; j--) {
        t[i * w + j] = am[i] === bm[j] ? t[(i + 1) * w + j + 1]! + 1 : Math.max(t[(i + 1) * w + j]!, t[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < am.length || j < bm.length) {
      if (i < am.length && j < bm.length && am[i] === bm[j]) {
        middle.push({ kind: ' ', line: am[i]! });
        i++;
        j++;
      } else if (j < bm.length && (i === am.length || t[i * w + j + 1]! >= t[(i + 1) * w + j]!)) middle.push({ kind: '+', line: bm[j++]! });
      else middle.push({ kind: '-', line: am[i++]! });
    }
  }
  return [...a.slice(0, pre).map((line) => ({ kind: ' ' as const, line })), ...middle, ...a.slice(a.length - suf).map((line) => ({ kind: ' ' as const, line }))];
}

/**
 * A unified diff (3 lines of context) of one file, `''` when the texts are equal. `before`/`after` undefined
 * means the file does not exist on that side.
 */
export function unifiedDiff(file: string, before: string | undefined, after: string | undefined, context = 3): string {
  if (before === after) return '';
  const all = ops(lines(before ?? ''), lines(after ?? ''));
  const head = [`--- ${before === undefined ? '/dev/null' : `a/${file}`}`, `+++ ${after === undefined ? '/dev/null' : `b/${file}`}`];
  const changed = all.map((o, k) => (o.kind === ' ' ? -1 : k)).filter((k) => k >= 0);
  if (changed.length === 0) {
    // Only the trailing newline differs.
    return `${head.join('\n')}\n\\ files differ only in the final newline\n`;
  }
  const out = [...head];
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k]! - context);
    let end = changed[k]! + context + 1;
    while (k + 1 < changed.length && changed[k + 1]! - context <= end) end = changed[++k]! + context + 1;
    k++;
    end = Math.min(all.length, end);
    const slice = all.slice(start, end);
    const aStart = all.slice(0, start).filter((o) => o.kind !== '+').length;
    const bStart = all.slice(0, start).filter((o) => o.kind !== '-').length;
    const aLen = slice.filter((o) => o.kind !== '+').length;
    const bLen = slice.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${aLen === 0 ? aStart : aStart + 1},${aLen} +${bLen === 0 ? bStart : bStart + 1},${bLen} @@`);
    out.push(...slice.map((o) => `${o.kind}${o.line}`));
  }
  return `${out.join('\n')}\n`;
}
