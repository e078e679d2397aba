import { timingSafeEqual } from 'node:crypto';
import { isRpcError, RpcError } from '@tocsin/bus';
import { alertState, formatIssues, matcher } from '@tocsin/events';
import { parseDuration, type ServiceContext } from '@tocsin/runtime';
import { z } from 'zod';
import type { Alerter } from '../alerter.ts';

type App = ServiceContext['http'];
interface Reply {
  code(status: number): { send(body: unknown): unknown };
}

const since = z.string().transform((v, ctx) => {
  const t = Date.parse(v);
  if (!Number.isNaN(t) && /\d{4}-\d{2}-\d{2}/.test(v)) return new Date(t);
  try {
    return { ago: parseDuration(v) };
  } catch {
    ctx.addIssue({ code: 'custom', message: 'an RFC 3339 time or a duration ago (e.g. 24h)' });
    return z.NEVER;
  }
});

const alertsQuery = z.object({
  state: alertState.optional(),
  source: z.string().optional(),
  chain_id: z.string().optional(),
  rule_id: z.string().optional(),
  since: since.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  include_suppressed: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});
const actor = z.string().min(1).max(128);
const ackBody = z.object({ by: actor, note: z.string().max(500).optional() });
const silenceBody = z
  .object({
    matchers: z.array(matcher).min(1),
    duration_s: z
      .number()
      .positive()
      .max(366 * 86400)
      .optional(),
    ends_at: z.iso.datetime({ offset: true }).optional(),
    by: actor,
    reason: z.string().max(500).default(''),
  })
  .refine((b) => b.duration_s !== undefined || b.ends_at !== undefined, {
    message: 'duration_s or ends_at is required',
    path: ['duration_s'],
  });
const expireBody = z.object({ by: actor }).partial();
const subscriptionsQuery = z.object({
  owner: z.string().optional(),
  kind: z.enum(['wallet', 'harmony_token']).optional(),
  chain_id: z.string().optional(),
});

const HTTP_CODE: Record<string, number> = {
  bad_request: 400,
  not_found: 404,
  forbidden: 403,
  unavailable: 503,
};

function parse<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) {
    const issues = formatIssues(r.error.issues, where);
    throw new RpcError('bad_request', issues.join('; '), issues);
  }
  return r.data;
}

/**
 * The alerter's HTTP API: alert history and timelines (read), acknowledgements and silences (write, behind a
 * bearer token from `alerter.api_token_file`; without one, writes are refused).
 */
export function registerRoutes(app: App, alerter: Alerter, token: string | null): void {
  const tokenBytes = token ? Buffer.from(token) : null;
  const authorized = (header: string | undefined): boolean => {
    if (!tokenBytes || !header?.startsWith('Bearer ')) return false;
    const given = Buffer.from(header.slice('Bearer '.length));
    return given.length === tokenBytes.length && timingSafeEqual(given, tokenBytes);
  };

  app.setErrorHandler((err, _req, reply) => {
    if (isRpcError(err))
      return reply
        .code(HTTP_CODE[err.code] ?? 500)
        .send({ error: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) });
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    return reply
      .code(status)
      .send({ error: status >= 500 ? 'internal' : 'bad_request', message: (err as Error).message });
  });

  const write = (req: { headers: Record<string, unknown> }, reply: Reply): boolean => {
    if (authorized(req.headers.authorization as string | undefined)) return true;
    void reply.code(401).send({
      error: 'unauthorized',
      message: tokenBytes
        ? 'a valid "Authorization: Bearer <token>" header is required'
        : 'write routes are disabled: set alerter.api_token_file',
    });
    return false;
  };

  app.get('/alerts', async (req) => {
    const q = parse(alertsQuery, req.query, 'query');
    const s = q.since;
    return {
      alerts: await alerter.alerts({
        ...q,
        since: s === undefined ? undefined : s instanceof Date ? s : new Date(alerter.now() - s.ago),
      }),
    };
  });

  app.get<{ Params: { id: string } }>('/alerts/:id', async (req) => {
    const found = await alerter.alert(req.params.id);
    if (!found) throw new RpcError('not_found', `no alert ${req.params.id}`);
    return { alert: found.alert };
  });

  app.get<{ Params: { id: string } }>('/alerts/:id/timeline', async (req) => {
    const found = await alerter.alert(req.params.id);
    if (!found) throw new RpcError('not_found', `no alert ${req.params.id}`);
    return found;
  });

  app.post<{ Params: { id: string } }>('/alerts/:id/ack', async (req, reply) => {
    if (!write(req, reply)) return reply;
    const body = parse(ackBody, req.body, 'body');
    return { alert: await alerter.ack({ episode_id: req.params.id, by: body.by, note: body.note }) };
  });

  app.get('/silences', async (req) => {
    const q = parse(z.object({ active: z.enum(['true', 'false']).default('true') }), req.query, 'query');
    return { silences: await alerter.listSilences(q.active === 'true') };
  });

  app.post('/silences', async (req, reply) => {
    if (!write(req, reply)) return reply;
    const b = parse(silenceBody, req.body, 'body');
    return reply.code(201).send({ silence: await alerter.silence(b) });
  });

  app.delete<{ Params: { id: string } }>('/silences/:id', async (req, reply) => {
    if (!write(req, reply)) return reply;
    const b = parse(expireBody, req.body, 'body');
    return { silence: await alerter.expireSilence({ id: req.params.id, by: b.by ?? 'api' }) };
  });

  app.get('/subscriptions', async (req) => ({
    subscriptions: await alerter.subscriptions(parse(subscriptionsQuery, req.query, 'query')),
  }));

  app.get('/rules', async () => ({
    rules: alerter.index.rules.map((r) => ({
      id: r.id,
      mode: r.mode,
      kind: r.kind,
      severity: r.severity,
      source: r.source,
      types: r.types,
      fingerprint: r.fingerprintLabels,
      group_by: r.groupBy,
    })),
    params: alerter.params,
  }));
}
