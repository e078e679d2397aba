import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.ts';

export type ReadinessCheck = () => Promise<boolean> | boolean;

/** The service's HTTP server: /healthz (alive), /readyz (dependencies reachable), /metrics (Prometheus). */
export function createHttpServer(opts: {
  log: Logger;
  metrics: Metrics;
  checks: Record<string, ReadinessCheck>;
  bodyLimit?: number;
}): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.log.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit ?? 1_048_576,
  });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const results: Record<string, boolean> = {};
    await Promise.all(
      Object.entries(opts.checks).map(async ([name, check]) => {
        try {
          results[name] = await check();
        } catch {
          results[name] = false;
        }
      }),
    );
    const ready = Object.values(results).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ ready, checks: results });
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
  return app;
}
