/**
 * Bundles `rltask view`'s browser app (src/viewer/ui/main.ts and its CSS, diff2html's included) into
 * `<outDir>/app.js`, its chunks and `<outDir>/app-style.css`, so that the viewer serves it offline. Run by scripts/build.ts (the
 * `prepare` build) into dist/viewer; alone: `node --import tsx scripts/buildViewer.ts [outDir]`.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The default output: where `rltask view` looks for the app. */
export const VIEWER_ASSETS_DIR = path.join(root, 'dist', 'viewer');

export async function buildViewer(outDir: string = VIEWER_ASSETS_DIR): Promise<void> {
  // Chunks are named by content hash: the last build's would otherwise stay and be served.
  await rm(outDir, { recursive: true, force: true });
  await build({
    entryPoints: { app: path.join(root, 'src/viewer/ui/main.ts'), 'app-style': path.join(root, 'src/viewer/ui/app.css') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    entryNames: '[name]',
    // The attempt page (diff2html, highlight.js) is a chunk of its own, loaded when an attempt is opened.
    splitting: true,
    chunkNames: 'chunk-[hash]',
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const out = path.resolve(process.argv[2] ?? VIEWER_ASSETS_DIR);
  await buildViewer(out);
  process.stdout.write(`wrote ${path.relative(root, out)}/app.js and app-style.css\n`);
}
