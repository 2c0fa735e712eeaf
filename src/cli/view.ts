import { spawn } from 'node:child_process';
import path from 'node:path';
import { RltaskError } from '../errors.ts';
import { packageRoot } from '../packageRoot.ts';
import { loadSources } from '../viewer/loadSources.ts';
import { startViewer } from '../viewer/startViewer.ts';
import { defineCommand } from './defineCommand.ts';

/** Hand the URL to the desktop's browser; a machine without one only loses the convenience. */
function openBrowser(url: string, err: (text: string) => void): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', (e) => err(`rltask view: could not open a browser (${opener}: ${e.message}); open the URL yourself\n`));
  child.unref();
}

export const view = defineCommand({
  name: 'view',
  summary: 'browse calibration runs and grade batches in a local web app',
  details:
    'Each path is a calibration output directory (`calibrate --out`) or a JSON Lines file of `grade --json` results. ' +
    'Serves on 127.0.0.1 only, from assets built at install time (no network); once ready, prints one line ' +
    '`viewing on http://127.0.0.1:PORT` on stdout. SIGTERM/SIGINT stop it (exit 0).',
  positionals: [{ name: 'paths', valueName: 'path', description: 'calibration output directories and grade JSONL files', required: true, variadic: true }],
  options: {
    port: { type: 'int', valueName: 'PORT', min: 0, max: 65_535, default: 0, description: 'port on 127.0.0.1; 0 picks a free one' },
    open: { type: 'boolean', description: "open the viewer in the desktop's browser" },
  },
  exits: {
    0: 'stopped by SIGTERM/SIGINT',
    2: 'bad input: a path that is neither a calibration directory nor a JSONL file of grades, a port in use',
    3: 'internal error (e.g. the browser app was not built)',
  },
  async run({ paths }, o, io) {
    const sources = await loadSources(paths);
    let viewer;
    try {
      viewer = await startViewer({ sources, assetsDir: path.join(packageRoot(), 'dist', 'viewer'), port: o.port });
    } catch (e) {
      const code = e instanceof Error && 'code' in e ? e.code : undefined;
      if (code === 'EADDRINUSE' || code === 'EACCES') throw new RltaskError('E_USAGE', `--port ${o.port}: cannot listen on 127.0.0.1 (${code})`);
      throw e;
    }
    io.drainOnSignal?.(5000);
    io.out(`viewing on ${viewer.url}\n`);
    if (o.open) openBrowser(viewer.url, io.err);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await viewer.close();
    return 0;
  },
});
