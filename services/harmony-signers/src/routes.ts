import rateLimit from '@fastify/rate-limit';
import { harmonySigners } from '@tocsin/events';
import type { ServiceContext } from '@tocsin/runtime';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { HarmonySignersConfig } from './config.ts';
import { reportIntake } from './intake.ts';
import { type AgentToken, type TokenStore, tokenSha256 } from './tokens.ts';

export const REPORTS_PATH = '/v1/harmony/reports';

declare module 'fastify' {
  interface FastifyRequest {
    harmonyToken?: AgentToken;
  }
}

function bearerOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

/**
 * The SHA-256 of a request's bearer token and its base64url text (the rate-limit bucket and the token cache's key),
 * computed once for the rate limit and the token check.
 */
const hashes = new WeakMap<FastifyRequest, { hash: Buffer; key: string } | null>();
function bearerHash(req: FastifyRequest): { hash: Buffer; key: string } | null {
  let h = hashes.get(req);
  if (h === undefined) {
    const bearer = bearerOf(req);
    const hash = bearer ? tokenSha256(bearer) : null;
    h = hash ? { hash, key: hash.toString('base64url') } : null;
    hashes.set(req, h);
  }
  return h;
}

/** Rate-limit bucket: the token's hash (never the token itself), or the client address without one. */
function bucketOf(req: FastifyRequest): string {
  return bearerHash(req)?.key ?? `ip:${req.ip}`;
}

/**
 * `POST /v1/harmony/reports`: bearer token (401 before the body is read, nothing recorded), rate limit per token
 * (429), body limit (413), zod-validated body (400 naming each bad field), replay of a nonce (409).
 */
export async function registerReportRoutes(
  ctx: ServiceContext<HarmonySignersConfig>,
  tokens: TokenStore,
): Promise<void> {
  const cfg = ctx.section;
  const intake = reportIntake(ctx);
  ctx.onStop(() => intake.drain());
  await ctx.http.register(async (app: FastifyInstance) => {
    // Requests are not logged (runtime: disableRequestLogging) and this plugin logs through ctx.log, so a report needs
    // no logger of its own: fastify's default child per request (bindings serialized and redacted each time) was a
    // few per cent of the intake's CPU.
    app.setChildLoggerFactory((logger) => logger);
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await app.register(rateLimit, {
      global: false,
      keyGenerator: bucketOf,
      // Only a refused report says when to retry (Retry-After); an accepted one carries no rate-limit headers.
      addHeadersOnExceeding: {
        'x-ratelimit-limit': false,
        'x-ratelimit-remaining': false,
        'x-ratelimit-reset': false,
      },
      // A rate-limited agent backs off and keeps its reports buffered.
      errorResponseBuilder: (_req, c) => ({
        statusCode: 429,
        error: 'rate_limited',
        message: `more than ${c.max} reports in ${c.after}; retry later`,
      }),
    });
    app.setErrorHandler((err, _req, reply) => {
      if (hasZodFastifySchemaValidationErrors(err)) {
        const issues = err.validation.map(
          (v) => `${v.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)'}: ${v.message}`,
        );
        return reply.code(400).send({ error: 'bad_request', message: issues.join('; '), issues });
      }
      const status = (err as { statusCode?: number }).statusCode ?? 500;
      if (status >= 500) ctx.log.error({ err: String(err) }, 'report intake failed');
      const code =
        status === 413
          ? 'too_large'
          : status === 429
            ? 'rate_limited'
            : status >= 500
              ? 'unavailable'
              : 'bad_request';
      return reply.code(status >= 500 ? 503 : status).send({ error: code, message: (err as Error).message });
    });
    const authenticate = async (req: FastifyRequest, reply: FastifyReply) => {
      const h = bearerHash(req);
      const token = h ? await tokens.verifyHash(h.hash, h.key) : null;
      if (!token) {
        reply.header('www-authenticate', 'Bearer realm="tocsin harmony-signers"');
        return reply.code(401).send({ error: 'unauthorized', message: 'a valid bearer token is required' });
      }
      req.harmonyToken = token;
    };
    app.withTypeProvider<ZodTypeProvider>().post(
      REPORTS_PATH,
      {
        bodyLimit: cfg.body_limit,
        config: { rateLimit: { max: cfg.rate_limit.max, timeWindow: cfg.rate_limit.window } },
        onRequest: authenticate,
        schema: { body: harmonySigners.reportRequest },
      },
      async (req, reply) => {
        const result = await intake.accept(req.harmonyToken!, req.body);
        if (result.status === 'replay')
          return reply.code(409).send({
            error: 'replay',
            message: `nonce ${req.body.nonce} was already reported with this token`,
          });
        if (result.status === 'out_of_range')
          return reply.code(422).send({ error: 'out_of_range', message: result.reason });
        return reply.code(202).send({ accepted: true, published: result.published });
      },
    );
  });
}
