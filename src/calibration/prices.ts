import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { RltaskError } from '../errors.ts';

/** What one model costs, in USD per million tokens. */
export interface ModelPrice {
  /** Uncached input tokens (the API's `input_tokens`). */
  readonly input: number;
  readonly output: number;
  /** Tokens written to the prompt cache with the default 5-minute lifetime (`cache_creation_input_tokens`). */
  readonly cacheWrite: number;
  /** Tokens read from the prompt cache (`cache_read_input_tokens`). */
  readonly cacheRead: number;
}

/** Prices by model-id prefix, with the date they were read and where from. */
export interface PriceTable {
  /** ISO date (YYYY-MM-DD) the prices were read. */
  readonly asOf: string;
  /** Where they were read: a URL, or the file they were loaded from. */
  readonly source: string;
  /** Keyed by model-id prefix, e.g. `claude-sonnet-4-5`; see `priceFor` for how an id picks its entry. */
  readonly models: Readonly<Record<string, ModelPrice>>;
}

function price(input: number, output: number, cacheWrite: number, cacheRead: number): ModelPrice {
  return Object.freeze({ input, output, cacheWrite, cacheRead });
}

/**
 * Anthropic's list prices for the Claude API.
 *
 * Claude Haiku 5.5 is left out on purpose: it is billed per request at one of two rates (prompts up to 100,000
 * tokens, or over), and a cost computed from an attempt's summed usage cannot know which requests were over, so
 * any single price would be wrong without saying so. Give it with `--prices` at the band your prompts fall in.
 *
 * Retired models keep their last list price so that old results still get a cost.
 *
 * @example
 * ```ts
 * BUILT_IN_PRICES.models['claude-sonnet-4-5']; // { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }
 * ```
 */
export const BUILT_IN_PRICES: PriceTable = Object.freeze({
  asOf: '2026-12-06',
  source: 'https://platform.claude.com/docs/en/about-claude/pricing',
  models: Object.freeze({
    // Several models read their cache for less than the usual tenth of input, so every rate is written out.
    'claude-fable-5-2': price(8, 40, 10, 0.2),
    'claude-mythos-5-2': price(8, 40, 10, 0.2),
    'claude-fable-5-1': price(10, 50, 12.5, 0.25),
    'claude-mythos-5-1': price(10, 50, 12.5, 0.25),
    'claude-fable-5': price(10, 50, 12.5, 1),
    'claude-mythos-5': price(10, 50, 12.5, 1),
    'claude-opus-5-5': price(4, 20, 5, 0.2),
    'claude-opus-5': price(5, 25, 6.25, 0.5),
    'claude-opus-4-8': price(5, 25, 6.25, 0.5),
    'claude-opus-4-7': price(5, 25, 6.25, 0.5),
    'claude-opus-4-6': price(5, 25, 6.25, 0.5),
    'claude-opus-4-5': price(5, 25, 6.25, 0.5),
    'claude-opus-4-1': price(15, 75, 18.75, 1.5),
    'claude-opus-4': price(15, 75, 18.75, 1.5),
    'claude-sonnet-5-5': price(2, 10, 2.5, 0.1),
    'claude-sonnet-5': price(2, 10, 2.5, 0.2),
    'claude-sonnet-4-6': price(3, 15, 3.75, 0.3),
    'claude-sonnet-4-5': price(3, 15, 3.75, 0.3),
    'claude-sonnet-4': price(3, 15, 3.75, 0.3),
    'claude-3-7-sonnet': price(3, 15, 3.75, 0.3),
    'claude-3-5-sonnet': price(3, 15, 3.75, 0.3),
    'claude-haiku-4-5': price(1, 5, 1.25, 0.1),
    'claude-3-5-haiku': price(0.8, 4, 1, 0.08),
    'claude-3-opus': price(15, 75, 18.75, 1.5),
    'claude-3-haiku': price(0.25, 1.25, 0.3, 0.03),
  }),
});

/** Bedrock ids carry the provider (and a cross-region inference profile) in front: `us.anthropic.claude-…`. */
const BEDROCK_PREFIX = /^(?:[a-z-]+\.)?anthropic\./;

/**
 * The entry of `table` for a model id: the longest prefix of the id that ends where the id does or at a `-` or `@`.
 * So dated ids find their model (`claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`, not `claude-sonnet-4`), as do
 * Vertex (`claude-opus-4-1@20250805`) and Bedrock (`us.anthropic.claude-opus-4-1-20250805-v1:0`) ids.
 * `undefined` when no prefix fits: a cost is then unknown, never guessed.
 *
 * @example
 * ```ts
 * priceFor(BUILT_IN_PRICES, 'claude-sonnet-4-5-20250929')?.prefix; // 'claude-sonnet-4-5'
 * ```
 */
export function priceFor(table: PriceTable, model: string): { prefix: string; price: ModelPrice } | undefined {
  const id = model.replace(BEDROCK_PREFIX, '');
  let best: { prefix: string; price: ModelPrice } | undefined;
  for (const [prefix, p] of Object.entries(table.models)) {
    if (!id.startsWith(prefix)) continue;
    const next = id.charAt(prefix.length);
    if (next !== '' && next !== '-' && next !== '@') continue;
    if (best === undefined || prefix.length > best.prefix.length) best = { prefix, price: p };
  }
  return best;
}

/** Tokens of one attempt (or run) by how they are billed, as the API's `usage` reports them. */
export interface TokenUsage {
  /** Uncached input tokens (`input_tokens`), not counting cache writes and reads. */
  readonly input: number;
  readonly cacheWrite: number;
  readonly cacheRead: number;
  readonly output: number;
}

/** A finite number as the decimal it was written as: `digits × 10^-scale`. */
function decimal(n: number): { digits: bigint; scale: number } {
  // String() gives the shortest decimal that reads back as n, i.e. the price as written in the table or file.
  const [mantissa = '', exponent = '0'] = String(n).split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  const scale = fraction.length - Number(exponent);
  const digits = BigInt(whole + fraction);
  return scale >= 0 ? { digits, scale } : { digits: digits * 10n ** BigInt(-scale), scale: 0 };
}

/** `digits × 10^-scale` as the nearest double: parsing decimal text rounds once, where float arithmetic rounds at every step. */
function toNumber(digits: bigint, scale: number): number {
  return Number(`${digits}e-${scale}`);
}

/**
 * What `usage` costs at `price`, in USD: each kind of token times its price per million, summed.
 * Computed in exact decimal and rounded once, so one cache write at $0.30 and one cache read at $0.03 come to
 * $0.00000033, where summing the floats gives $0.00000032999999999999996.
 *
 * @example
 * ```ts
 * costUsd({ input: 1_000, cacheWrite: 2_000, cacheRead: 10_000, output: 500 }, { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 });
 * // 0.021  (0.003 + 0.0075 + 0.003 + 0.0075)
 * ```
 */
export function costUsd(usage: TokenUsage, price: ModelPrice): number {
  const terms = [
    [usage.input, price.input],
    [usage.cacheWrite, price.cacheWrite],
    [usage.cacheRead, price.cacheRead],
    [usage.output, price.output],
  ] as const;
  for (const [tokens] of terms) {
    if (!Number.isSafeInteger(tokens) || tokens < 0) throw new RltaskError('E_INTERNAL', `a token count must be a whole number ≥ 0, got ${tokens}`);
  }
  const prices = terms.map(([, p]) => decimal(p));
  const scale = Math.max(...prices.map((p) => p.scale));
  let total = 0n;
  terms.forEach(([tokens], i) => {
    const p = prices[i]!;
    total += BigInt(tokens) * p.digits * 10n ** BigInt(scale - p.scale);
  });
  return toNumber(total, scale + 6);
}

const amount = z.number({ error: 'expected a number ≥ 0' }).min(0, { error: 'expected a number ≥ 0' });

const priceFileSchema = z.strictObject({
  asOf: z.iso.date({ error: 'expected an ISO date (YYYY-MM-DD)' }),
  source: z.string({ error: 'expected a string' }).optional(),
  models: z.record(
    z.string().regex(/^\S+$/, { error: 'expected a model-id prefix such as claude-sonnet-4-5' }),
    z.strictObject({ input: amount, output: amount, cacheWrite: amount.optional(), cacheRead: amount.optional() }, { error: 'expected an object { input, output, cacheWrite?, cacheRead? }' }),
    { error: 'expected an object of model-id prefix → price' },
  ),
}, { error: 'expected an object { asOf, source?, models }' });

/** Whether `path` leads to a value in `data`: a field that is absent is reported as missing, not as mistyped. */
function present(data: unknown, path: readonly PropertyKey[]): boolean {
  let node = data;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return false;
    node = Reflect.get(node, key);
  }
  return true;
}

/** One zod issue as `path: message` lines, the path written `models.claude-x.input`. */
function issueLines(issue: z.core.$ZodIssue, data: unknown): string[] {
  const at = (path: readonly PropertyKey[]) => (path.length === 0 ? '' : `${path.map(String).join('.')}: `);
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${at([...issue.path, k])}unknown field`);
  if (issue.code === 'invalid_key') return issue.issues.map((i) => `${at(issue.path)}${i.message}`);
  if (issue.code === 'invalid_type' && issue.path.length > 0 && !present(data, issue.path)) return [`${at(issue.path)}missing`];
  return [`${at(issue.path)}${issue.message}`];
}

/**
 * The built-in table with a JSON price file merged over it: the file's models are added, or replace the built-in
 * entry with the same prefix, and every other built-in entry stays. The result carries the file's `asOf`, and its
 * `source` (the file's path when it gives none). A model without `cacheWrite` / `cacheRead` gets Anthropic's usual
 * 1.25× / 0.1× of its input price.
 *
 * Throws E_USAGE naming the file: when it is missing or unreadable, is not JSON (with the parser's message), or
 * does not fit the shape (with the path of each bad field, e.g. `models.claude-x.input`).
 *
 * @example
 * ```ts
 * // prices.json: { "asOf": "2026-01-01", "models": { "claude-x": { "input": 3, "output": 15 } } }
 * const table = await loadPrices('prices.json');
 * priceFor(table, 'claude-x-20260101')?.price; // { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }
 * ```
 */
export async function loadPrices(file: string): Promise<PriceTable> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? e.code : undefined;
    if (code === 'ENOENT') throw new RltaskError('E_USAGE', `${file}: not found`, { cause: e });
    throw new RltaskError('E_USAGE', `${file}: cannot be read (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new RltaskError('E_USAGE', `${file}: not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const parsed = priceFileSchema.safeParse(data);
  if (!parsed.success) {
    throw new RltaskError('E_USAGE', parsed.error.issues.flatMap((i) => issueLines(i, data)).map((line) => `${file}: ${line}`).join('\n'));
  }
  const fromFile = Object.entries(parsed.data.models).map(([prefix, p]): [string, ModelPrice] => {
    const { digits, scale } = decimal(p.input);
    return [prefix, price(p.input, p.output, p.cacheWrite ?? toNumber(digits * 125n, scale + 2), p.cacheRead ?? toNumber(digits, scale + 1))];
  });
  // fromEntries defines own properties, so a key such as "__proto__" is a model like any other, not a prototype.
  const models = Object.fromEntries([...Object.entries(BUILT_IN_PRICES.models), ...fromFile]);
  return Object.freeze({ asOf: parsed.data.asOf, source: parsed.data.source ?? file, models: Object.freeze(models) });
}
