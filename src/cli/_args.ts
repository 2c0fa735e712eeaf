import { RltaskError } from '../errors.ts';

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export function str(values: Values, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

export function int(values: Values, key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = str(values, key);
  if (v === undefined) return fallback;
  if (!/^-?\d+$/.test(v.trim())) throw new RltaskError('E_USAGE', `--${key} expects a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new RltaskError('E_USAGE', `--${key} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function exactly(positionals: readonly string[], count: number, usage: string): void {
  if (positionals.length !== count) {
    throw new RltaskError('E_USAGE', `expected ${count} argument${count === 1 ? '' : 's'}, got ${positionals.length}\nusage: ${usage}`);
  }
}
