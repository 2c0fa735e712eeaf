import { timingSafeEqual } from 'node:crypto';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { RltaskError } from '../errors.ts';
import { gradeCase, taskCases } from '../grading/gradeCases.ts';
import { killAllSandboxes } from '../sandbox/Sandbox.ts';
import { registerEnvRoutes } from './envRoutes.ts';
import { registerGradeRoutes } from './gradeRoutes.ts';
import { HttpError, httpErrorCodes } from './HttpError.ts';
import { registerOpsRoutes, type Readiness } from './opsRoutes.ts';
import { ServerContext, type ServerLimits } from './ServerContext.ts';
import { TaskCatalog } from './TaskCatalog.ts';

/** `rltask serve`'s defaults. */
export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  concurrency: 2,
  queue: 1024,
  maxSessions: 64,
  maxSteps: 200,
  idleMs: 600_000,
  maxBodyBytes: 4 * 1024 * 1024,
  drainMs: 30_000,
};

export interface ServerOptions {
  /** A directory of task files (`*.yaml`). */
  readonly tasksDir: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Every request must carry `Authorization: Bearer <token>`; undefined only for a loopback host (`--no-auth`). */
  readonly token: string | undefined;
  readonly limits?: Partial<ServerLimits>;
  /** One JSON line per request goes here (default: nowhere). */
  readonly log?: { write(line: string): unknown };
  /** Grade each task's reference once before `/readyz` says ready (default true). */
  readonly warmUp?: boolean;
}

export interface RunningServer {
  /** `http://host:port`, the port as bound. */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly context: ServerContext;
  /** Resolves once warm-up is over (ready, or failed with the reason in `/readyz`). */
  readonly warm: Promise<void>;
  /**
   * Stop accepting work (503), close the sessions, let grades in flight finish within `drainMs`, then kill every
   * sandbox and close the server.
   */
  drain(): Promise<void>;
  /** Close at once: grades in flight are stopped. */
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
/** Probes stay open so that an orchestrator needs no token for them. */
const OPEN_ROUTES = new Set(['/healthz', '/readyz']);

function sameToken(header: string | undefined, token: string): boolean {
  const sent = Buffer.from(header ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return sent.length === want.length && timingSafeEqual(sent, want);
}

/**
 * Start the grading and environment server: the grading API under `/v1`, the OpenEnv-compatible WebSocket at
 * `/ws`, health, readiness and metrics. Throws E_USAGE for a bad configuration (no token on a non-loopback host,
 * no tasks) and the loader's SpecError for an invalid task file.
 *
 * @example
 * const server = await startServer({ tasksDir: 'tasks', host: '127.0.0.1', port: 0, token: 'secret' });
 * console.log(`listening on ${server.url}`);
 * await server.drain();
 */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  if (o.token === undefined && !LOOPBACK.test(o.host)) {
    throw new RltaskError('E_USAGE', `--host ${o.host}: serving without a token is only allowed on a loopback address; set RLTASK_API_TOKEN`);
  }
  if (o.token !== undefined && o.token.trim() === '') throw new RltaskError('E_USAGE', 'RLTASK_API_TOKEN is empty');
  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...o.limits };
  const catalog = await TaskCatalog.load(o.tasksDir);
  const ctx = new ServerContext(catalog, limits);
  const readiness: Readiness = { ready: false, reason: 'warming up' };

  const app = Fastify({
    logger: { level: 'info', base: null, timestamp: () => `,"time":"${new Date().toISOString()}"`, stream: { write: (line: string) => void o.log?.write(line) } },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.maxBodyBytes,
    // In-flight requests are waited for by `drain` (up to its deadline); idle keep-alive sockets close at once.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  await app.register(websocket, { options: { maxPayload: limits.maxBodyBytes } });

  // Requests being answered (hijacked NDJSON streams included), so that a drain waits for their answers.
  let inFlight = 0;
  let settled: (() => void) | undefined;
  app.addHook('onRequest', async (req, reply) => {
    if (!req.ws) {
      inFlight++;
      reply.raw.once('close', () => {
        inFlight--;
        if (inFlight === 0) settled?.();
      });
    }
  });
  app.addHook('onRequest', async (req) => {
    const route = req.url.split('?')[0] ?? '';
    if (o.token !== undefined && !OPEN_ROUTES.has(route) && !sameToken(req.headers.authorization, o.token)) {
      throw new HttpError(401, 'missing or wrong token: send Authorization: Bearer <RLTASK_API_TOKEN>', { 'www-authenticate': 'Bearer' });
    }
    if (ctx.draining && !OPEN_ROUTES.has(route)) throw new HttpError(503, 'the server is draining (shutting down); retry on another replica', { 'retry-after': '1' });
  });
  // One JSON line per request, written when the response is.
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unknown';
    ctx.metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    req.log.info({ method: req.method, url: req.url, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  app.setErrorHandler((error: FastifyError | HttpError, _req, reply) => {
    if (error instanceof HttpError) return reply.code(error.status).headers(error.headers).send({ error: { code: error.code, message: error.message } });
    const status = error.statusCode ?? 500;
    if (status === 413) return reply.code(413).send({ error: { code: httpErrorCodes[413], message: `the body is over --max-body (${limits.maxBodyBytes} bytes)` } });
    if (status === 415) return reply.code(415).send({ error: { code: httpErrorCodes[415], message: `${error.message}; send application/json` } });
    if (status >= 400 && status < 500) return reply.code(400).send({ error: { code: httpErrorCodes[400], message: `body: ${error.message}` } });
    reply.log.error({ err: error }, 'internal error');
    return reply.code(500).send({ error: { code: httpErrorCodes[500], message: error.message } });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: httpErrorCodes[404], message: `no route ${req.method} ${req.url.split('?')[0]}` } }));

  registerOpsRoutes(app, ctx, readiness);
  registerGradeRoutes(app, ctx);
  registerEnvRoutes(app, ctx);

  await app.listen({ host: o.host, port: o.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;

  // Warm: the compiler and esbuild loaded, a sandbox started, each runtime's first task's reference graded.
  const warm = (async () => {
    if (o.warmUp === false) {
      readiness.ready = true;
      readiness.reason = 'ready (no warm-up)';
      return;
    }
    try {
      const seen = new Set<string>();
      for (const { spec } of catalog.list()) {
        if (seen.has(spec.runtime)) continue;
        seen.add(spec.runtime);
        const reference = taskCases(spec).find((c) => c.kind === 'reference');
        if (reference === undefined) continue;
        const r = await gradeCase(spec, reference, { failFast: true });
        if (r.status !== 'passed') throw new Error(`warm-up: ${spec.id}'s reference solution got ${r.status}: ${r.feedback}`);
      }
      readiness.ready = true;
      readiness.reason = 'ready';
    } catch (e) {
      readiness.reason = e instanceof Error ? e.message : String(e);
      app.log.error({ reason: readiness.reason }, 'warm-up failed');
    }
  })();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ctx.stopNow();
      killAllSandboxes();
      const closed = app.close();
      // What is still open now (a stream whose grades were just stopped) is cut rather than waited for.
      app.server.closeAllConnections();
      await closed;
    })();
    return closing;
  };
  const answered = (): Promise<void> => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (settled = resolve)));
  const drain = async (): Promise<void> => {
    await ctx.beginDrain();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ctx.queue.idle().then(answered), new Promise<void>((resolve) => (timer = setTimeout(resolve, limits.drainMs)))]);
    clearTimeout(timer);
    await close();
  };
  return { url, app, context: ctx, warm, drain, close };
}
