import type { WebSocket } from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { RawData } from 'ws';
import pkg from '../../package.json' with { type: 'json' };
import { envSchemas } from './_openEnvMessages.ts';
import { EnvSession } from './EnvSession.ts';
import type { ServerContext } from './ServerContext.ts';

/** WebSocket close code 1013, "try again later": the server is at `--max-sessions`. */
const TRY_AGAIN_LATER = 1013;
/** WebSocket close code 1001, "going away": the server is shutting down. */
const GOING_AWAY = 1001;

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function readme(ctx: ServerContext): string {
  const tasks = ctx.catalog
    .list()
    .map((e) => `- \`${e.spec.id}\` v${e.spec.version}: ${e.spec.title}`)
    .join('\n');
  return [
    '# rltask environment',
    '',
    'One WebSocket at `/ws` is one session. `reset` with `{"task": id}` writes a fresh workspace and observes the',
    'prompt, its files and the tools; each `step` is one tool call `{"tool": name, …input}`; `submit` grades the',
    'workspace and ends the episode with reward 1 (a correct fix) or 0.',
    '',
    '## Tasks',
    '',
    tasks,
  ].join('\n');
}

/**
 * The environment API for multi-turn RL, in OpenEnv's wire format (what its `GenericEnvClient` speaks):
 * `GET /health`, `GET /schema`, `GET /metadata` and the session WebSocket `WS /ws` (see `EnvSession`). At most
 * `--max-sessions` sessions are open at once; beyond that a new socket gets a CAPACITY_REACHED error and is
 * closed, as OpenEnv does. Expects `@fastify/websocket` to be registered on `app` already.
 *
 * @example
 * await app.register(websocket);
 * registerEnvRoutes(app, ctx);
 */
export function registerEnvRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const sessions = new Set<EnvSession>();
  const schemas = envSchemas();

  // OpenEnv's HealthResponse; readiness (warm-up, draining) is /readyz's business.
  app.get('/health', async () => ({ status: 'healthy' }));

  app.get('/schema', async () => schemas);

  app.get('/metadata', async () => ({
    name: 'rltask',
    description: `RL tasks for coding agents: fix a planted bug in a small workspace through tools, then submit for a binary reward. Tasks: ${ctx.catalog.ids().join(', ')}.`,
    readme_content: readme(ctx),
    version: pkg.version,
    author: null,
    documentation_url: null,
  }));

  app.get('/ws', { websocket: true }, (socket: WebSocket) => {
    const send = (text: string): void => {
      if (socket.readyState === socket.OPEN) socket.send(text);
    };
    const refuse = (code: 'CAPACITY_REACHED' | 'SESSION_ERROR', message: string, closeCode: number, extra: Readonly<Record<string, unknown>> = {}): void => {
      send(JSON.stringify({ type: 'error', data: { message, code, ...extra } }));
      socket.close(closeCode, code);
    };
    if (ctx.draining) return refuse('SESSION_ERROR', 'the server is shutting down and opens no new sessions', GOING_AWAY);
    const max = ctx.limits.maxSessions;
    if (sessions.size >= max) {
      return refuse('CAPACITY_REACHED', `Server at capacity: ${sessions.size}/${max} sessions active (--max-sessions); retry later`, TRY_AGAIN_LATER, {
        active_sessions: sessions.size,
        max_sessions: max,
      });
    }
    const transport = { send, close: (code: number, reason: string) => socket.close(code, reason), pause: () => socket.pause(), resume: () => socket.resume() };
    const session: EnvSession = new EnvSession(ctx, transport, () => sessions.delete(session));
    sessions.add(session);
    // OpenEnv reads text frames; a binary frame is taken as UTF-8 text too.
    socket.on('message', (data) => session.receive(textOf(data)));
    socket.on('close', () => void session.end('disconnect'));
    socket.on('error', () => void session.end('disconnect'));
  });
}
