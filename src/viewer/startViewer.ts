import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { RltaskError } from '../errors.ts';
import { failureModes } from './failureModes.ts';
import type { LoadedRun, ViewerSources } from './loadSources.ts';
import { readTranscript } from './readTranscript.ts';
import type { AttemptResponse, BatchItem, BatchResponse, RunItem, RunResponse, SourcesResponse } from './ViewerApi.ts';

export interface ViewerOptions {
  readonly sources: ViewerSources;
  /** The built browser app (`dist/viewer`: app.js, app-style.css), made by scripts/buildViewer.ts. */
  readonly assetsDir: string;
  /** 0 picks a free port. The viewer listens on 127.0.0.1 only: it serves local files to whoever connects. */
  readonly port: number;
}

export interface RunningViewer {
  /** `http://127.0.0.1:PORT`, the port as bound. */
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
};

const INDEX = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>rltask view</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app-style.css">
</head>
<body>
<div id="app"></div>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`;

/** The built assets, read once: the app never changes while the viewer runs. */
async function readAssets(dir: string): Promise<Map<string, { readonly type: string; readonly body: Buffer }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    names = [];
  }
  if (!names.includes('app.js')) throw new RltaskError('E_INTERNAL', `the viewer's browser app is not built (no ${path.join(dir, 'app.js')}): run \`npm run build\``);
  const assets = new Map<string, { readonly type: string; readonly body: Buffer }>();
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (type !== undefined) assets.set(name, { type, body: await readFile(path.join(dir, name)) });
  }
  return assets;
}

function runItem(r: LoadedRun): RunItem {
  return { id: r.id, path: r.path, summary: r.results.summary };
}

function batchItem(b: ViewerSources['batches'][number]): BatchItem {
  return {
    id: b.id,
    path: b.path,
    grades: b.results.length,
    passed: b.results.filter((g) => g.status === 'passed').length,
    failed: b.results.filter((g) => g.status === 'failed').length,
    errors: b.results.filter((g) => g.status === 'error').length,
  };
}

/**
 * Serve the viewer: the browser app and a read-only JSON API over the runs and grade batches already loaded
 * (see {@link loadSources}); transcripts are read when an attempt is opened.
 */
export async function startViewer(o: ViewerOptions): Promise<RunningViewer> {
  const assets = await readAssets(o.assetsDir);
  const app = Fastify({ logger: false });
  const runs = new Map(o.sources.runs.map((r) => [r.id, r]));
  const batches = new Map(o.sources.batches.map((b) => [b.id, b]));
  const notFound = (what: string) => ({ error: { code: 'NOT_FOUND', message: `no ${what}` } });

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(INDEX));
  app.get<{ Params: { name: string } }>('/assets/:name', async (req, reply) => {
    const asset = assets.get(req.params.name);
    if (asset === undefined) return reply.code(404).send(notFound(`asset ${req.params.name}`));
    return reply.type(asset.type).send(asset.body);
  });
  app.get('/api/sources', async (): Promise<SourcesResponse> => ({ runs: o.sources.runs.map(runItem), batches: o.sources.batches.map(batchItem) }));
  app.get<{ Params: { id: string } }>('/api/runs/:id', async (req, reply) => {
    const run = runs.get(req.params.id);
    if (run === undefined) return reply.code(404).send(notFound(`run ${req.params.id}`));
    const attempts = run.results.attempts.map(({ diff: _diff, ...row }) => row);
    const body: RunResponse = { ...runItem(run), attempts, failureModes: failureModes(run.results.attempts) };
    return body;
  });
  app.get<{ Params: { id: string; n: string } }>('/api/runs/:id/attempts/:n', async (req, reply) => {
    const run = runs.get(req.params.id);
    const record = run?.results.attempts.find((a) => String(a.attempt) === req.params.n);
    if (run === undefined || record === undefined) return reply.code(404).send(notFound(`attempt ${req.params.n} in run ${req.params.id}`));
    const transcript = await readTranscript(run.dir, record.transcript);
    const body: AttemptResponse = { run: runItem(run), record, events: transcript.events, transcriptProblem: transcript.problem };
    return body;
  });
  app.get<{ Params: { id: string } }>('/api/batches/:id', async (req, reply) => {
    const batch = batches.get(req.params.id);
    if (batch === undefined) return reply.code(404).send(notFound(`grade batch ${req.params.id}`));
    const body: BatchResponse = { ...batchItem(batch), results: batch.results };
    return body;
  });

  await app.listen({ host: '127.0.0.1', port: o.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  return { url: `http://127.0.0.1:${port}`, app, close: () => app.close() };
}
