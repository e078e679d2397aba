import { isRpcError, type RpcService } from '@tocsin/bus';
import { formatIssues } from '@tocsin/events';
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** The body of every error the API answers: a code, a sentence, and for a bad request one line per field. */
export const apiError = z.object({
  error: z.string().describe('bad_request, unauthorized, not_found, forbidden, unavailable, internal'),
  message: z.string(),
  issues: z.array(z.string()).optional().describe('one line per bad field, e.g. "query.limit: Too small…"'),
});

const HTTP_STATUS: Record<string, number> = {
  bad_request: 400,
  not_found: 404,
  forbidden: 403,
  unavailable: 503,
  internal: 502,
};

const NAME: Record<RpcService, string> = {
  alerter: 'the alerter',
  'cosmos-ibc': 'the cosmos-ibc ingestor',
  'ics-ccv': 'the ics-ccv ingestor',
  'subspace-blocks': 'the subspace-blocks ingestor',
  'harmony-signers': 'the harmony-signers service',
};

/** An RPC that failed, with the service it went to (so a 503 can name it). */
export class ServiceCallError extends Error {
  override readonly name = 'ServiceCallError';
  constructor(
    readonly code: string,
    readonly service: RpcService,
    message: string,
    readonly issues?: string[],
  ) {
    super(message);
  }
}

export function isServiceCallError(err: unknown): err is ServiceCallError {
  return err instanceof ServiceCallError;
}

/** Turns an RPC failure into a ServiceCallError naming the service; other errors pass through. */
export function serviceError(service: RpcService, err: unknown, timeoutMs: number): unknown {
  if (!isRpcError(err)) return err;
  if (err.code === 'unavailable')
    return new ServiceCallError(
      'unavailable',
      service,
      `${NAME[service]} (${service}) did not answer within ${timeoutMs / 1000} s: is it running? (${err.message})`,
    );
  return new ServiceCallError(err.code, service, err.message, err.issues);
}

/** The validation context fastify names (querystring, body, params) as the project names it. */
const WHERE: Record<string, string> = {
  querystring: 'query',
  body: 'body',
  params: 'params',
  headers: 'headers',
};

/**
 * JSON errors for the API: a bad request names each field like the rest of tocsin (`query.limit: …`), a service
 * that does not answer is a 503 naming it, anything unexpected a 500 without internals.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = WHERE[err.validationContext ?? ''] ?? err.validationContext ?? 'request';
      const issues = formatIssues(
        err.validation.map((v) => ({
          code: 'custom' as const,
          input: undefined,
          message: v.message ?? 'invalid',
          path: v.instancePath.split('/').filter(Boolean),
        })),
        where,
      );
      return reply.code(400).send({ error: 'bad_request', message: issues.join('; '), issues });
    }
    if (isServiceCallError(err))
      return reply.code(HTTP_STATUS[err.code] ?? 502).send({
        error: err.code,
        message: err.message,
        ...(err.issues ? { issues: err.issues } : {}),
      });
    const status = err.statusCode ?? 500;
    if (status < 500)
      return reply
        .code(status)
        .send({ error: status === 415 || status === 400 ? 'bad_request' : 'error', message: err.message });
    req.log.error({ err: err.message, url: req.url }, 'console request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
}
