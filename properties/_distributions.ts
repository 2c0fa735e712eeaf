import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { markImmutable } from '../src/immutableArrays.ts';

/** Zero-mean, unit-variance input distributions and their kurtosis κ = E[X⁴]/σ⁴. */
export const distributions = {
  gaussian: 3,
  uniform: 1.8,
  rademacher: 1,
  laplace: 6,
} as const;
/** The input distributions `sample` draws from. */
export type Distribution = keyof typeof distributions;
/** The names of the input distributions. */
export const distributionNames = Object.keys(distributions) as readonly Distribution[];

const cache = new Map<string, Float64Array>();
const CACHE_BYTES = 96 * 1024 * 1024;
let cachedBytes = 0;

/**
 * n samples of `dist` times `scale`, from pure-rand's xoroshiro128+ seeded with `seed`. Inputs depend only on
 * (dist, n, seed, scale), never on the submission, so a batch of grades with one seed shares them: the result is
 * cached and must be treated as read-only.
 */
export function sample(dist: Distribution, n: number, seed: number, scale: number): Float64Array {
  const key = `${dist}:${n}:${seed}:${scale}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const rng = xoroshiro128plus(seed | 0);
  const x = new Float64Array(n);
  switch (dist) {
    case 'gaussian':
      for (let i = 0; i < n; i += 2) {
        const r = Math.sqrt(-2 * Math.log(1 - uniformFloat64(rng)));
        const a = 2 * Math.PI * uniformFloat64(rng);
        x[i] = r * Math.cos(a) * scale;
        if (i + 1 < n) x[i + 1] = r * Math.sin(a) * scale;
      }
      break;
    case 'uniform':
      for (let i = 0; i < n; i++) x[i] = (2 * uniformFloat64(rng) - 1) * Math.sqrt(3) * scale;
      break;
    case 'rademacher':
      for (let i = 0; i < n; i++) x[i] = (uniformFloat64(rng) < 0.5 ? -1 : 1) * scale;
      break;
    case 'laplace':
      for (let i = 0; i < n; i++) {
        const u = uniformFloat64(rng) - 0.5;
        x[i] = -Math.SQRT1_2 * Math.sign(u) * Math.log(1 - 2 * Math.abs(u)) * scale;
      }
      break;
  }
  store(key, markImmutable(x));
  return x;
}

/** Keep `x` under `key`, evicting the oldest entries beyond CACHE_BYTES (huge arrays are not kept). */
function store(key: string, x: Float64Array): void {
  if (x.byteLength > CACHE_BYTES / 4) return;
  while (cachedBytes + x.byteLength > CACHE_BYTES && cache.size > 0) {
    const [oldest, arr] = cache.entries().next().value as [string, Float64Array];
    cache.delete(oldest);
    cachedBytes -= arr.byteLength;
  }
  cache.set(key, x);
  cachedBytes += x.byteLength;
}

/** Non-zero finite values with log-uniform magnitudes in [10^-e, 10^e] and random signs. */
export function spread(n: number, seed: number, e: number): Float64Array {
  const rng = xoroshiro128plus(seed | 0);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const mag = 10 ** ((2 * uniformFloat64(rng) - 1) * e);
    x[i] = uniformFloat64(rng) < 0.5 ? -mag : mag;
  }
  return x;
}

/**
 * `spread` for callers that never write into the result: cached like `sample` (10^x per element is costly, and a
 * batch of grades with one seed asks for the same inputs), so the array must be treated as read-only.
 */
export function sharedSpread(n: number, seed: number, e: number): Float64Array {
  const key = `spread:${n}:${seed}:${e}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const x = spread(n, seed, e);
  store(key, markImmutable(x));
  return x;
}
