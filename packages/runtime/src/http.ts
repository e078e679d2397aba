import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.ts';

/** A readiness check: ready or not, or not ready with the reason (shown under `reasons` in /readyz). */
export type ReadinessResult = boolean | { ready: boolean; reason: string | null };
export type ReadinessCheck = () => Promise<ReadinessResult> | ReadinessResult;
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The HTTP port is taken by another process. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  readonly code = 'port_in_use';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`http port ${port} on ${host} is in use by another process (http.port, TOCSIN_HTTP_PORT)`);
  }
}

export function isPortInUseError(err: unknown): err is PortInUseError {
  return err instanceof PortInUseError;
}

/**
 * The service's port, bound first thing at start: while the service connects to its dependencies, /healthz says it
 * is alive and /readyz answers 503 naming what it waits for; once the routes are registered, the Fastify app takes
 * over the same socket (so the port is never let go between start-up and service).
 */
export class StartupServer {
  /** What start-up is waiting for, shown by /readyz until the service is up. */
  waitingFor = 'start-up';
  readonly server: Server;
  #app: Handler | undefined;
  #handOver: Handler | undefined;

  constructor() {
    this.server = createServer((req, res) => (this.#app ? this.#app(req, res) : this.#starting(req, res)));
  }

  #starting(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const [code, body] =
      path === '/healthz'
        ? [200, { ok: true, starting: true }]
        : path === '/readyz'
          ? [503, { ready: false, waiting_for: this.waitingFor }]
          : [503, { error: 'starting', waiting_for: this.waitingFor }];
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  /** Binds host:port (0 = any free port) and returns the port; a taken port rejects with PortInUseError. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new PortInUseError(host, port) : err);
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  /** For createHttpServer: Fastify hands its request handler here instead of creating its own server. */
  factory = (handler: Handler): Server => {
    this.#handOver = handler;
    return this.server;
  };

  /** Routes requests to the app from now on. */
  async serve(app: FastifyInstance): Promise<void> {
    await app.ready();
    this.#app = this.#handOver;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** The service's HTTP server: /healthz (alive), /readyz (dependencies reachable), /metrics (Prometheus). */
export function createHttpServer(opts: {
  log: Logger;
  metrics: Metrics;
  checks: Record<string, ReadinessCheck>;
  bodyLimit?: number;
  /** Serve on this already-bound server (see StartupServer) instead of listening later. */
  startup?: StartupServer;
}): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.log.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    ...(opts.startup ? { serverFactory: opts.startup.factory } : {}),
  }) as unknown as FastifyInstance;
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
