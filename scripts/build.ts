/**
 * `npm run build` (also run by `npm ci`/`npm install` through `prepare`): bundles the CLI so that it starts
 * without tsx's loader (which resolves and transforms ~150 modules on every start), into dist/:
 * - rltask.cjs: the CLI (src/run.ts) as one CommonJS file. CommonJS, not ESM, because Node 20 can only use a V8
 *   code cache for a script compiled through vm.Script (no `module.enableCompileCache` before Node 22).
 * - rltask.mjs: the entry `bin/rltask.js` imports (src/startup/bundleEntry.ts): runs rltask.cjs with the caches.
 * - v8-cache/: V8 code caches of rltask.cjs and of the big CommonJS packages it loads (the TypeScript
 *   compiler ts-morph carries, esbuild's JS API), made by grading the task's own workspace once with src/startup/recordEntry.ts, so that
 *   the functions a grade compiles lazily are cached too. Best effort: without them the CLI compiles as before.
 * - lib/index.mjs, lib/properties.mjs, lib/calibration.mjs: the library (package.json `exports`) as ESM.
 * - viewer/: `rltask view`'s browser app (scripts/buildViewer.ts), served from there offline.
 * The sandbox harness is bundled here too and embedded as a string, since the bundle has no _harness.ts next to it.
 * Packages stay external when they must be loaded from node_modules: esbuild (native binary), ts-morph and
 * @ts-morph/common (the TypeScript compiler, loaded lazily with require), @anthropic-ai/sdk (only `calibrate` needs it, and in CommonJS
 * its require() runs only when `calibrate` loads src/calibration), tsx.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { HARNESS_BUILD_OPTIONS } from '../src/sandbox/harnessSource.ts';
import { PYTHON_SOURCE_FILES } from '../src/runtime/python/pythonSources.ts';
import { loadTask } from '../src/task/loadTask.ts';
import { BUNDLE_FILE, CACHE_DIR } from '../src/startup/runBundle.ts';
import { buildViewer } from './buildViewer.ts';
import { initWorkspace } from '../src/workspace/initWorkspace.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
// `--outfile <path>` builds elsewhere (spec/scripts/build.spec.ts); the default is what `bin/rltask.js` loads.
// The CommonJS bundle and the caches go next to the entry.
const at = process.argv.indexOf('--outfile');
const outfile = at === -1 ? path.join(root, 'dist/rltask.mjs') : path.resolve(process.argv[at + 1] ?? '');
const outdir = path.dirname(outfile);
/** The task graded once to warm the code caches up. */
const WARM_TASK = path.join(root, 'tasks/variance-dropout.yaml');

const harness = await build(HARNESS_BUILD_OPTIONS);
const harnessText = harness.outputFiles[0]!.text;
// The Python runtime's programs (its harness and its static analyser), embedded as text like the harness above.
const pythonDefines = {
  __RLTASK_PY_HARNESS__: JSON.stringify(await readFile(path.join(root, PYTHON_SOURCE_FILES.harness), 'utf8')),
  __RLTASK_PY_ANALYZE__: JSON.stringify(await readFile(path.join(root, PYTHON_SOURCE_FILES.analyze), 'utf8')),
  __RLTASK_PY_MUTATE__: JSON.stringify(await readFile(path.join(root, PYTHON_SOURCE_FILES.mutate), 'utf8')),
  __RLTASK_PY_ZYGOTE__: JSON.stringify(await readFile(path.join(root, PYTHON_SOURCE_FILES.zygote), 'utf8')),
  __RLTASK_PY_ZYGOTE_CLIENT__: JSON.stringify(await readFile(path.join(root, PYTHON_SOURCE_FILES.zygoteClient), 'utf8')),
};

if (at === -1) await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
} as const satisfies BuildOptions;

const cli = await build({
  ...common,
  entryPoints: [path.join(root, 'src/run.ts')],
  write: false,
  format: 'cjs',
  external: ['esbuild', 'ts-morph', 'typescript', '@anthropic-ai/sdk', '@anthropic-ai/sdk/*', 'tsx', 'tsx/*'],
  // CommonJS has no import.meta: the modules that locate files from their own URL get the bundle's.
  define: { __RLTASK_HARNESS__: JSON.stringify(harnessText), ...pythonDefines, 'import.meta.url': '__rltaskImportMetaUrl' },
  // Strict mode first, as the ESM sources were written for (esbuild's own "use strict" would come after the banner).
  banner: { js: "'use strict';\nvar __rltaskImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});
// src/run.ts's hashbang would be a syntax error inside the CommonJS module wrapper.
await writeFile(path.join(outdir, BUNDLE_FILE), cli.outputFiles[0]!.text.replace(/^#![^\n]*\n/, ''));

// The library's entry points (package.json `exports`), as ESM bundles that plain Node imports without tsx; every
// package stays external (resolved from the consumer's node_modules). Types come from the TypeScript sources.
const LIBRARY_ENTRIES = { index: 'src/index.ts', properties: 'properties/index.ts', calibration: 'src/calibration/index.ts' } as const;
for (const [name, file] of Object.entries(LIBRARY_ENTRIES)) {
  await build({
    ...common,
    minify: false,
    entryPoints: [path.join(root, file)],
    outfile: path.join(outdir, 'lib', `${name}.mjs`),
    format: 'esm',
    packages: 'external',
    define: { __RLTASK_HARNESS__: JSON.stringify(harnessText), ...pythonDefines },
  });
}

await buildViewer(path.join(outdir, 'viewer'));

const entry = (file: string, out: string) => build({ ...common, entryPoints: [path.join(root, file)], outfile: out, format: 'esm' });
await entry('src/startup/bundleEntry.ts', outfile);

// Warm up: grade the task's workspace once through the recording entry, which writes the caches as it exits.
const recorder = path.join(outdir, 'rltask-record.mjs');
const scratch = await mkdtemp(path.join(tmpdir(), 'rltask-build-'));
try {
  await entry('src/startup/recordEntry.ts', recorder);
  const ws = path.join(scratch, 'ws');
  await initWorkspace(await loadTask(WARM_TASK), ws);
  const failure = await new Promise<string | undefined>((resolve) => {
    execFile(process.execPath, [recorder, 'grade', WARM_TASK, ws, '--json'], { cwd: root, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      // A failing verdict (exit 1) is the expected one: the workspace holds the task's bug.
      resolve(error === null || error.code === 1 ? undefined : `${error.message}\n${stderr}`);
    });
  });
  if (!existsSync(path.join(outdir, CACHE_DIR, 'manifest.json'))) {
    process.stderr.write(`warning: no V8 code cache written (the CLI works, it only starts slower): ${failure ?? 'no manifest'}\n`);
  } else if (failure !== undefined) {
    // E.g. no sandbox on this machine: the caches hold what the run compiled before it failed.
    process.stderr.write(`warning: the warm-up grade failed, the V8 code caches are only partly warm: ${failure}\n`);
  }
} catch (e) {
  process.stderr.write(`warning: no V8 code cache written (the CLI works, it only starts slower): ${e instanceof Error ? e.message : String(e)}\n`);
} finally {
  await rm(recorder, { force: true });
  await rm(scratch, { recursive: true, force: true });
}
process.stdout.write(`wrote ${path.relative(root, outfile)}, ${BUNDLE_FILE}, lib/, viewer/ and ${CACHE_DIR}/\n`);
