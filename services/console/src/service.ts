import type { ServiceContext, ServiceDefinition } from '@tocsin/runtime';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TokenCheck } from './auth.ts';
import { type ConsoleConfig, consoleConfig } from './config.ts';
import { installErrorHandler } from './errors.ts';
import { registerOpenApi } from './openapi.ts';
import { alertRoutes } from './routes/alerts.ts';
import { ingestorRoutes } from './routes/ingestors.ts';
import { AlertStream, streamRoute } from './routes/stream.ts';
import { createCall } from './rpc.ts';
import { defaultWebDir, serveWeb } from './web.ts';

export const VERSION = '0.1.0';

/**
 * The operator console: the dashboard (services/console/web, built with Vite) and its HTTP API. It keeps no state
 * of its own: every answer comes from a service's RPC over NATS (the alerter, the ingestors), and live alerts
 * from the ALERTS subjects.
 */
export const consoleService: ServiceDefinition<typeof consoleConfig> = {
  name: 'console',
  version: VERSION,
  config: { section: 'console', schema: consoleConfig },
  defaultPort: 9469,
  async start(ctx: ServiceContext<ConsoleConfig>) {
    const cfg = ctx.section;
    const auth = new TokenCheck(cfg.token_file ? ctx.readSecret(cfg.token_file) : null);
    if (!auth.configured)
      ctx.log.warn('console.token_file is not set: the console is read-only (ack and silences answer 401)');
    const call = createCall(ctx.nc, ctx.subjects, cfg.rpc_timeout);
    const stream = new AlertStream({
      nc: ctx.nc,
      subjects: ctx.subjects,
      log: ctx.log,
      heartbeatMs: cfg.stream_heartbeat,
    });
    stream.start();
    ctx.onStop(() => stream.stop());
    const app = ctx.http;
    // Open event streams would hold the server's close: they end first.
    app.addHook('preClose', async () => stream.stop());

    await registerOpenApi(app, VERSION);
    await app.register(
      async (api) => {
        const zapi = api.withTypeProvider<ZodTypeProvider>();
        zapi.setValidatorCompiler(validatorCompiler);
        zapi.setSerializerCompiler(serializerCompiler);
        installErrorHandler(zapi);
        zapi.get(
          '/session',
          {
            schema: {
              tags: ['session'],
              summary: 'Whether the request carries the login token (the page shows write buttons then)',
              response: {
                200: z.object({
                  authenticated: z.boolean(),
                  writable: z.boolean().describe('whether a login token is configured at all'),
                }),
              },
            },
          },
          async (req) => ({
            authenticated: auth.accepts(req.headers.authorization),
            writable: auth.configured,
          }),
        );
        await zapi.register(
          alertRoutes({ call, auth, actor: `user:${cfg.actor}`, now: () => ctx.clock.now() }),
        );
        await zapi.register(ingestorRoutes(call));
        await zapi.register(streamRoute(stream));
      },
      { prefix: '/api' },
    );
    await serveWeb(app, cfg.web_dir ?? defaultWebDir);
    ctx.log.info({ token: auth.configured }, 'console up');
  },
};
