import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** Zero-mean, unit-variance input distributions and their kurtosis κ = E[X⁴]/σ⁴. */
export const distributions = {
  gaussian: 3,
  uniform: 1.8,
  rademacher: 1,
  laplace: 6,
} as const;
export type Distribution = keyof typeof distributions;
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
  if (x.byteLength <= CACHE_BYTES / 4) {
    while (cachedBytes + x.byteLength > CACHE_BYTES && cache.size > 0) {
      const [oldest, arr] = cache.entries().next().value as [string, Float64Array];
      cache.delete(oldest);
      cachedBytes -= arr.byteLength;
    }
    cache.set(key, x);
    cachedBytes += x.byteLength;
  }
  return x;
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
