import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  alert,
  chainSummary,
  harmonyHostSummary,
  ibcClientSummary,
  icsConsumerSummary,
  maintenanceWindow,
  matcher,
  silence,
  subspaceNodeSummary,
  timelineItem,
  walletSummary,
} from '@tocsin/events';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** The contract's shared shapes, named once in the document's components instead of inlined in every route. */
const components = z.registry<{ id: string }>();
for (const [schema, id] of [
  [alert, 'Alert'],
  [timelineItem, 'TimelineItem'],
  [silence, 'Silence'],
  [matcher, 'Matcher'],
  [maintenanceWindow, 'MaintenanceWindow'],
  [ibcClientSummary, 'IbcClient'],
  [walletSummary, 'Wallet'],
  [chainSummary, 'Chain'],
  [icsConsumerSummary, 'IcsConsumer'],
  [subspaceNodeSummary, 'SubspaceNode'],
  [harmonyHostSummary, 'HarmonyHost'],
] as const)
  components.add(schema, { id });
const transform = createJsonSchemaTransform({ schemaRegistry: components });

/**
 * The OpenAPI document, generated from the routes' zod schemas (the RPC contract of @tocsin/events), served at
 * /api/openapi.json, and Swagger UI at /api/docs. Only /api routes are documented.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tocsin console API',
        version,
        description:
          'Alerts, silences, maintenance windows, acknowledgements and each ingestor’s state. Reads are open; ' +
          'writes (ack, silences, maintenance) ' +
          'need the login token as `Authorization: Bearer <token>` (console.token_file).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: (args) =>
      args.url.startsWith('/api/')
        ? transform(args)
        : { schema: { ...args.schema, hide: true }, url: args.url },
    transformObject: createJsonSchemaTransformObject({ schemaRegistry: components }),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
