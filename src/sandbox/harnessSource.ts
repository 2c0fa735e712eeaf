import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The child harness as one self-contained CommonJS script (bundled once per process, ~10 ms). */
export function harnessSource(): string {
  cached ??= buildSync({
    entryPoints: [fileURLToPath(new URL('./_harness.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    minify: true,
    legalComments: 'none',
  }).outputFiles[0]!.text;
  return cached;
}
