/** The lines a mutant changed, as a small unified-style diff against the source it came from. */
export function mutantDiff(original: string, mutated: string): string {
  const a = original.split('\n');
  const b = mutated.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const removed = a.slice(head, a.length - tail).map((l) => `- ${l}`);
  const added = b.slice(head, b.length - tail).map((l) => `+ ${l}`);
  return [`@@ line ${head + 1}`, ...removed, ...added].join('\n');
}
