import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BUILT_IN_PRICES, costUsd, loadPrices, priceFor, type PriceTable } from '../../src/calibration/prices.ts';
import { RltaskError } from '../../src/errors.ts';
import { cleanupTmp, tmp } from '../_helpers.ts';

after(cleanupTmp);

const SONNET = { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 };

/** A price file in a fresh directory; `contents` is written as is when a string, else as JSON. */
async function priceFile(contents: unknown, name = 'prices.json'): Promise<string> {
  const file = path.join(await tmp('rltask-prices-'), name);
  await writeFile(file, typeof contents === 'string' ? contents : JSON.stringify(contents));
  return file;
}

describe('priceFor', () => {
  const prefixOf = (model: string) => priceFor(BUILT_IN_PRICES, model)?.prefix;

  it('finds a model by its own id, and a dated id by the model it names', () => {
    assert.equal(prefixOf('claude-sonnet-4-5'), 'claude-sonnet-4-5');
    assert.equal(prefixOf('claude-sonnet-4-5-20250929'), 'claude-sonnet-4-5');
    assert.equal(prefixOf('claude-sonnet-4-20250514'), 'claude-sonnet-4');
    assert.equal(prefixOf('claude-3-5-haiku-20241022'), 'claude-3-5-haiku');
    assert.deepEqual(priceFor(BUILT_IN_PRICES, 'claude-sonnet-4-5-20250929')?.price, SONNET);
  });

  it('takes the longest prefix: claude-opus-4-1 is not claude-opus-4', () => {
    assert.equal(prefixOf('claude-opus-4-1'), 'claude-opus-4-1');
    assert.equal(prefixOf('claude-opus-4-1-20250805'), 'claude-opus-4-1');
    assert.equal(prefixOf('claude-opus-4-20250514'), 'claude-opus-4');
    assert.equal(prefixOf('claude-opus-4-0'), 'claude-opus-4');
    assert.equal(priceFor(BUILT_IN_PRICES, 'claude-opus-4-1')?.price.input, 15);
    assert.equal(priceFor(BUILT_IN_PRICES, 'claude-opus-4-5')?.price.input, 5);
  });

  it('takes the longest prefix whatever order the table lists them in', () => {
    const short = { input: 1, output: 1, cacheWrite: 1, cacheRead: 1 };
    const long = { input: 2, output: 2, cacheWrite: 2, cacheRead: 2 };
    for (const models of [{ 'm-1': short, 'm-1-2': long }, { 'm-1-2': long, 'm-1': short }]) {
      const table: PriceTable = { asOf: '2026-01-01', source: 'test', models };
      assert.deepEqual(priceFor(table, 'm-1-2-20260101'), { prefix: 'm-1-2', price: long });
      assert.deepEqual(priceFor(table, 'm-1-3'), { prefix: 'm-1', price: short });
    }
  });

  it('a prefix must end at the end of the id, a "-" or an "@"', () => {
    assert.equal(prefixOf('claude-opus-45'), undefined);
    assert.equal(prefixOf('claude-opus-4-1x'), 'claude-opus-4');
    assert.equal(prefixOf('claude-opus-4-1@20250805'), 'claude-opus-4-1');
  });

  it('reads Vertex and Bedrock ids', () => {
    assert.equal(prefixOf('claude-sonnet-4-5@20250929'), 'claude-sonnet-4-5');
    assert.equal(prefixOf('anthropic.claude-sonnet-4-5-20250929-v1:0'), 'claude-sonnet-4-5');
    assert.equal(prefixOf('us.anthropic.claude-opus-4-1-20250805-v1:0'), 'claude-opus-4-1');
  });

  it('an unknown model has no price', () => {
    assert.equal(priceFor(BUILT_IN_PRICES, 'gpt-5'), undefined);
    assert.equal(priceFor(BUILT_IN_PRICES, ''), undefined);
    assert.equal(priceFor(BUILT_IN_PRICES, 'claude'), undefined);
    // Billed at two rates by prompt length, so deliberately not in the built-in table.
    assert.equal(priceFor(BUILT_IN_PRICES, 'claude-haiku-5-5'), undefined);
  });
});

describe('the built-in table', () => {
  it('says when and where its prices were read', () => {
    assert.match(BUILT_IN_PRICES.asOf, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(!Number.isNaN(Date.parse(BUILT_IN_PRICES.asOf)));
    assert.match(BUILT_IN_PRICES.source, /^https:\/\/platform\.claude\.com\//);
  });

  it('every entry is a finite non-negative price that its own id finds', () => {
    for (const [prefix, p] of Object.entries(BUILT_IN_PRICES.models)) {
      for (const v of [p.input, p.output, p.cacheWrite, p.cacheRead]) assert.ok(Number.isFinite(v) && v >= 0, `${prefix}: ${v}`);
      assert.equal(priceFor(BUILT_IN_PRICES, prefix)?.prefix, prefix);
      assert.equal(priceFor(BUILT_IN_PRICES, `${prefix}-20260101`)?.prefix, prefix);
    }
  });

  it('cannot be changed by a caller', () => {
    assert.ok(Object.isFrozen(BUILT_IN_PRICES) && Object.isFrozen(BUILT_IN_PRICES.models));
    assert.ok(Object.values(BUILT_IN_PRICES.models).every((p) => Object.isFrozen(p)));
  });
});

describe('costUsd', () => {
  it('a worked example on Sonnet 4.5: $0.17230875', () => {
    // 12,345 × $3 + 6,789 × $3.75 + 150,000 × $0.30 + 4,321 × $15 = $172,308.75 per million tokens
    const usage = { input: 12_345, cacheWrite: 6_789, cacheRead: 150_000, output: 4_321 };
    assert.equal(costUsd(usage, SONNET), 0.17230875);
  });

  it('each kind of token at its own price', () => {
    const p = { input: 1, output: 2, cacheWrite: 4, cacheRead: 8 };
    assert.equal(costUsd({ input: 1_000_000, cacheWrite: 0, cacheRead: 0, output: 0 }, p), 1);
    assert.equal(costUsd({ input: 0, cacheWrite: 0, cacheRead: 0, output: 1_000_000 }, p), 2);
    assert.equal(costUsd({ input: 0, cacheWrite: 1_000_000, cacheRead: 0, output: 0 }, p), 4);
    assert.equal(costUsd({ input: 0, cacheWrite: 0, cacheRead: 1_000_000, output: 0 }, p), 8);
    assert.equal(costUsd({ input: 0, cacheWrite: 0, cacheRead: 0, output: 0 }, p), 0);
  });

  it('is exact where float arithmetic is not', () => {
    const haiku3 = priceFor(BUILT_IN_PRICES, 'claude-3-haiku-20240307')!.price;
    const usage = { input: 0, cacheWrite: 1, cacheRead: 1, output: 0 };
    assert.notEqual((0.3 + 0.03) / 1e6, 0.00000033); // the naive sum rounds at every step
    assert.equal(costUsd(usage, haiku3), 0.00000033);
  });

  it('refuses token counts that are not whole numbers ≥ 0', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => costUsd({ input: bad, cacheWrite: 0, cacheRead: 0, output: 0 }, SONNET), { name: 'RltaskError', code: 'E_INTERNAL' });
    }
  });
});

describe('loadPrices', () => {
  it('adds a model to the built-in ones, deriving the cache prices it leaves out', async () => {
    const file = await priceFile({ asOf: '2026-01-01', models: { 'claude-x': { input: 3, output: 15 } } });
    const table = await loadPrices(file);
    assert.equal(table.asOf, '2026-01-01');
    assert.equal(table.source, file);
    assert.deepEqual(priceFor(table, 'claude-x-20260101'), { prefix: 'claude-x', price: SONNET });
    assert.deepEqual(table.models['claude-opus-4-1'], BUILT_IN_PRICES.models['claude-opus-4-1']);
    assert.equal(Object.keys(table.models).length, Object.keys(BUILT_IN_PRICES.models).length + 1);
  });

  it('overrides one built-in model and keeps the rest', async () => {
    const mine = { input: 2, output: 9, cacheWrite: 2.2, cacheRead: 0.15 };
    const file = await priceFile({ asOf: '2026-03-04', source: 'our contract', models: { 'claude-sonnet-4-5': mine } });
    const table = await loadPrices(file);
    assert.equal(table.source, 'our contract');
    assert.deepEqual(priceFor(table, 'claude-sonnet-4-5-20250929')?.price, mine);
    assert.deepEqual(priceFor(table, 'claude-sonnet-4-20250514')?.price, SONNET);
    assert.deepEqual(BUILT_IN_PRICES.models['claude-sonnet-4-5'], SONNET);
  });

  it('derives cache prices exactly: 1.25× and 0.1× of $0.80 are $1 and $0.08', async () => {
    const file = await priceFile({ asOf: '2026-01-01', models: { 'claude-y': { input: 0.8, output: 4, cacheRead: 0 } } });
    assert.deepEqual((await loadPrices(file)).models['claude-y'], { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0 });
  });

  describe('errors name the file and the field', () => {
    const rejects = async (contents: unknown, message: (file: string) => string) => {
      const file = await priceFile(contents);
      await assert.rejects(loadPrices(file), (e: unknown) => {
        assert.ok(e instanceof RltaskError);
        assert.equal(e.code, 'E_USAGE');
        assert.equal(e.message, message(file));
        return true;
      });
    };

    it('a price that is not a number ≥ 0', async () => {
      await rejects({ asOf: '2026-01-01', models: { 'claude-x': { input: -1, output: 15 } } }, (f) => `${f}: models.claude-x.input: expected a number ≥ 0`);
      await rejects({ asOf: '2026-01-01', models: { 'claude-x': { input: 3, output: '15' } } }, (f) => `${f}: models.claude-x.output: expected a number ≥ 0`);
      await rejects('{ "asOf": "2026-01-01", "models": { "claude-x": { "input": 1e999, "output": 15 } } }', (f) => `${f}: models.claude-x.input: expected a number ≥ 0`);
    });

    it('a missing field, an unknown field, and every problem at once', async () => {
      await rejects({ asOf: '2026-01-01', models: { 'claude-x': { input: 3 } } }, (f) => `${f}: models.claude-x.output: missing`);
      await rejects({ asOf: '2026-01-01', models: { 'claude-x': { input: 3, output: 15, cacheWrite5m: 4 } } }, (f) => `${f}: models.claude-x.cacheWrite5m: unknown field`);
      await rejects({ models: { a: { input: 1, output: 1 }, b: 2 }, extra: true }, (f) =>
        [`${f}: asOf: missing`, `${f}: models.b: expected an object { input, output, cacheWrite?, cacheRead? }`, `${f}: extra: unknown field`].join('\n'),
      );
    });

    it('a date that is not an ISO date, a bad prefix, a file that is not an object', async () => {
      await rejects({ asOf: '2026-02-30', models: {} }, (f) => `${f}: asOf: expected an ISO date (YYYY-MM-DD)`);
      await rejects({ asOf: '1/2/2026', models: {} }, (f) => `${f}: asOf: expected an ISO date (YYYY-MM-DD)`);
      await rejects({ asOf: '2026-01-01', models: { 'claude x': { input: 1, output: 1 } } }, (f) => `${f}: models.claude x: expected a model-id prefix such as claude-sonnet-4-5`);
      await rejects([], (f) => `${f}: expected an object { asOf, source?, models }`);
    });

    it('JSON that does not parse: the file and the parser’s message', async () => {
      const text = '{ "asOf": "2026-01-01", }';
      let parserMessage = '';
      try {
        JSON.parse(text);
      } catch (e) {
        parserMessage = e instanceof Error ? e.message : '';
      }
      assert.notEqual(parserMessage, '');
      await rejects(text, (f) => `${f}: not valid JSON: ${parserMessage}`);
    });

    it('a file that does not exist', async () => {
      const file = path.join(await tmp('rltask-prices-'), 'nope.json');
      await assert.rejects(loadPrices(file), { name: 'RltaskError', code: 'E_USAGE', message: `${file}: not found` });
    });
  });
});
