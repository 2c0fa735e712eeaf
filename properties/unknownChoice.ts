/** Edit distance (insert, delete, substitute), for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest of `options` to `value`, if it is close enough to be a typo. */
export function closest(value: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = distance(value.toLowerCase(), o.toLowerCase());
    if (d < bestD) [best, bestD] = [o, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

interface UnionIssue {
  readonly code: string;
  readonly input?: unknown;
  readonly discriminator?: string;
  readonly options?: readonly unknown[];
  readonly note?: string;
}

/**
 * A zod `error` map for a discriminated union that names the unknown value and suggests the nearest valid one,
 * e.g. `unknown property "matches-referense" (did you mean "matches-reference"?)`, instead of zod's generic
 * "Invalid discriminator value".
 *
 * @example
 * z.discriminatedUnion('use', items, { error: unknownChoice('property') })
 */
export function unknownChoice(what: string): (issue: UnionIssue) => string | undefined {
  return (issue) => {
    if (issue.code !== 'invalid_union' || issue.note !== 'No matching discriminator' || issue.discriminator === undefined) return undefined;
    const options = (issue.options ?? []).map(String);
    const input = issue.input;
    const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[issue.discriminator] : undefined;
    if (value === undefined) return `missing "${issue.discriminator}": the ${what}, one of ${options.join(', ')}`;
    const guess = typeof value === 'string' ? closest(value, options) : undefined;
    return `unknown ${what} ${JSON.stringify(value)}${guess === undefined ? '' : ` (did you mean "${guess}"?)`}; expected one of ${options.join(', ')}`;
  };
}
