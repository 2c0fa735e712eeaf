import type { FastifyInstance } from 'fastify';
import type { ServerContext } from './ServerContext.ts';

/** What `/readyz` reports: not ready while warming up, or when warming up failed (with why). */
export interface Readiness {
  ready: boolean;
  reason: string;
}

/**
 * Operations: `GET /healthz` (the process answers), `GET /readyz` (the grader is warm: compiler loaded, a
 * sandbox started, a reference graded; 503 until then or while draining), `GET /metrics` (Prometheus text).
 */
export function registerOpsRoutes(app: FastifyInstance, ctx: ServerContext, readiness: Readiness): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const ready = readiness.ready && !ctx.draining;
    return reply.code(ready ? 200 : 503).send({ ready, reason: ctx.draining ? 'draining' : readiness.reason });
  });
  app.get('/metrics', async (_req, reply) => {
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
