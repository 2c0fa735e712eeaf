import { RltaskError } from '../errors.ts';
import { DEFAULT_SERVER_LIMITS, startServer } from '../server/startServer.ts';
import { defineCommand } from './defineCommand.ts';

const D = DEFAULT_SERVER_LIMITS;

export const serve = defineCommand({
  name: 'serve',
  summary: 'serve grading (HTTP) and multi-turn environments (OpenEnv WebSocket) to RL trainers',
  details:
    'The token comes from RLTASK_API_TOKEN (every request sends Authorization: Bearer <token>; /healthz and /readyz are open). ' +
    'Once listening, prints one line `listening on http://HOST:PORT` on stdout; logs are JSON lines on stderr. ' +
    'SIGTERM/SIGINT: stop accepting work, finish grades in flight within --drain-seconds, close sessions, exit 0.',
  positionals: [],
  options: {
    host: { type: 'string', valueName: 'HOST', default: '127.0.0.1', description: 'address to listen on (0.0.0.0 for all)' },
    port: { type: 'int', valueName: 'PORT', min: 0, max: 65_535, default: 8080, description: 'port; 0 picks a free one' },
    tasks: { type: 'directory', valueName: 'DIR', default: 'tasks', description: 'the task files (*.yaml) to serve' },
    concurrency: { type: 'int', valueName: 'K', min: 1, max: 256, default: D.concurrency, description: 'grades running at once (match the CPUs)' },
    queue: { type: 'int', valueName: 'N', min: 0, max: 1_000_000, default: D.queue, description: 'grades waiting at most; beyond, 429 with Retry-After' },
    'max-sessions': { type: 'int', valueName: 'M', min: 0, max: 100_000, default: D.maxSessions, description: 'open environment sessions at most (CAPACITY_REACHED beyond)' },
    'max-steps': { type: 'int', valueName: 'S', min: 1, max: 1_000_000, default: D.maxSteps, description: 'steps per session; then done with reward 0' },
    'idle-seconds': { type: 'int', valueName: 'T', min: 1, max: 86_400, default: D.idleMs / 1000, description: 'a session idle this long ends and its workspace is deleted' },
    'max-body': { type: 'int', valueName: 'BYTES', min: 1024, max: 1_073_741_824, default: D.maxBodyBytes, description: 'largest request body or WebSocket message (413 beyond)' },
    'drain-seconds': { type: 'int', valueName: 'D', min: 0, max: 3600, default: D.drainMs / 1000, description: 'on SIGTERM, how long grades in flight may take to finish' },
    'no-auth': { type: 'boolean', description: 'serve without a token (only on a loopback host)' },
  },
  exits: {
    0: 'stopped by SIGTERM/SIGINT after draining',
    2: 'bad input: a task file, the tasks directory, no token without --no-auth, --no-auth on a non-loopback host, a port in use',
    3: 'internal error',
  },
  async run(_positionals, o, io) {
    const token = io.env['RLTASK_API_TOKEN'];
    if (!o['no-auth'] && (token === undefined || token === '')) {
      throw new RltaskError('E_USAGE', 'RLTASK_API_TOKEN is not set: clients authenticate with Authorization: Bearer <token>; for a local server without auth, use --no-auth (loopback hosts only)');
    }
    const drainMs = o['drain-seconds'] * 1000;
    let server;
    try {
      server = await startServer({
        tasksDir: o.tasks,
        host: o.host,
        port: o.port,
        token: o['no-auth'] ? undefined : token,
        limits: {
          concurrency: o.concurrency,
          queue: o.queue,
          maxSessions: o['max-sessions'],
          maxSteps: o['max-steps'],
          idleMs: o['idle-seconds'] * 1000,
          maxBodyBytes: o['max-body'],
          drainMs,
        },
        log: { write: (line: string) => io.err(line) },
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new RltaskError('E_USAGE', `--host ${o.host} --port ${o.port}: cannot listen (${code})`);
      throw e;
    }
    io.drainOnSignal?.(drainMs + 5000);
    io.out(`listening on ${server.url}\n`);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    io.err(`rltask serve: draining (up to ${o['drain-seconds']} s)\n`);
    await server.drain();
    return 0;
  },
});
