import { build, type BuildOptions, buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;
let pending: Promise<string> | undefined;

const OPTIONS = {
  entryPoints: [fileURLToPath(new URL('./_harness.ts', import.meta.url))],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  write: false,
  minify: true,
  legalComments: 'none',
} as const satisfies BuildOptions;

/** The child harness as one self-contained CommonJS script (bundled once per process, ~10 ms). */
export function harnessSource(): string {
  cached ??= buildSync(OPTIONS).outputFiles[0]!.text;
  return cached;
}

/**
 * The same, bundled through esbuild's async service: `Sandbox.start` awaits this first, so that no process pays
 * for the worker thread esbuild's sync API starts.
 */
export function loadHarnessSource(): Promise<string> {
  if (cached !== undefined) return Promise.resolve(cached);
  pending ??= build(OPTIONS).then((r) => {
    cached ??= r.outputFiles[0]!.text;
    return cached;
  });
  return pending;
}
