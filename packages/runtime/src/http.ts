import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.ts';

/** A readiness check: ready or not, or not ready with the reason (shown under `reasons` in /readyz). */
export type ReadinessResult = boolean | { ready: boolean; reason: string | null };
export type ReadinessCheck = () => Promise<ReadinessResult> | ReadinessResult;

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
    const reasons: Record<string, string> = {};
    await Promise.all(
      Object.entries(opts.checks).map(async ([name, check]) => {
        try {
          const r = await check();
          results[name] = typeof r === 'boolean' ? r : r.ready;
          if (typeof r === 'object' && !r.ready && r.reason) reasons[name] = r.reason;
        } catch {
          results[name] = false;
        }
      }),
    );
    const ready = Object.values(results).every(Boolean);
    return reply
      .code(ready ? 200 : 503)
      .send({ ready, checks: results, ...(Object.keys(reasons).length ? { reasons } : {}) });
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
  return app;
}
