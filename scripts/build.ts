/**
 * `npm run build` (also run by `npm ci`/`npm install` through `prepare`): bundles the CLI into dist/rltask.mjs so
 * that it starts without tsx's loader (which resolves and transforms ~150 modules on every start). The sandbox
 * harness is bundled here too and embedded as a string, since the bundle has no _harness.ts next to it.
 * Packages stay external when they must be loaded from node_modules: esbuild (native binary), ts-morph (the
 * TypeScript compiler, loaded lazily with require), @anthropic-ai/sdk (only `calibrate` needs it), tsx.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { HARNESS_BUILD_OPTIONS } from '../src/sandbox/harnessSource.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
// `--outfile <path>` builds elsewhere (spec/scripts/build.spec.ts); the default is what `bin/rltask.js` loads.
const at = process.argv.indexOf('--outfile');
const outfile = at === -1 ? path.join(root, 'dist/rltask.mjs') : path.resolve(process.argv[at + 1] ?? '');

const harness = await build(HARNESS_BUILD_OPTIONS);
const harnessText = harness.outputFiles[0]!.text;

if (at === -1) await rm(path.dirname(outfile), { recursive: true, force: true });
await mkdir(path.dirname(outfile), { recursive: true });
await build({
  entryPoints: [path.join(root, 'src/run.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['esbuild', 'ts-morph', 'typescript', '@anthropic-ai/sdk', '@anthropic-ai/sdk/*', 'tsx', 'tsx/*'],
  define: { __RLTASK_HARNESS__: JSON.stringify(harnessText) },
  // A CommonJS dependency bundled into ESM calls require(); give the bundle a real one.
  banner: { js: "import { createRequire as __rltaskCreateRequire } from 'node:module'; const require = __rltaskCreateRequire(import.meta.url);" },
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
});
process.stdout.write(`wrote ${path.relative(root, outfile)}\n`);
