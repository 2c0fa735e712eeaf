import { build, type BuildOptions, buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

/**
 * Set by the production bundle (scripts/build.ts, through esbuild's `define`) to the harness already bundled at
 * build time: the bundle runs from dist/rltask.cjs, next to which there is no _harness.ts. Under tsx
 * it is not defined and the harness is bundled from source on first use.
 */
declare const __RLTASK_HARNESS__: string | undefined;

let cached: string | undefined = typeof __RLTASK_HARNESS__ === 'string' ? __RLTASK_HARNESS__ : undefined;
let pending: Promise<string> | undefined;

/** How the harness is bundled, at run time here and at build time by scripts/build.ts (one definition). */
export const HARNESS_BUILD_OPTIONS = {
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
  cached ??= buildSync(HARNESS_BUILD_OPTIONS).outputFiles[0]!.text;
  return cached;
}

/**
 * The same, bundled through esbuild's async service: `Sandbox.start` awaits this first, so that no process pays
 * for the worker thread esbuild's sync API starts.
 */
export function loadHarnessSource(): Promise<string> {
  if (cached !== undefined) return Promise.resolve(cached);
  pending ??= build(HARNESS_BUILD_OPTIONS).then((r) => {
    cached ??= r.outputFiles[0]!.text;
    return cached;
  });
  return pending;
}
