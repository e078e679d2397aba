import { alerterRpc } from '@tocsin/events';
import { parseWhen } from '@tocsin/runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TokenCheck } from '../auth.ts';
import { apiError } from '../errors.ts';
import type { Call } from '../rpc.ts';

export interface AlertRouteDeps {
  call: Call;
  auth: TokenCheck;
  /** Recorded as the author of acks and silences, e.g. `user:console`. */
  actor: string;
  now(): number;
}

/** `since`: a time (RFC 3339, or a date), or a duration ago (24h, 30m). */
const since = z
  .string()
  .refine(
    (v) => {
      try {
        parseWhen(v, 0);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'an RFC 3339 time (2026-01-02T03:04:05Z) or a duration ago (e.g. 24h)' },
  )
  .describe('an RFC 3339 time, or a duration ago (e.g. 24h)');

const bool = (d: 'true' | 'false') => z.enum(['true', 'false']).default(d);

// The contract's request, with what a query string carries as text (numbers, booleans, `since`) read from text.
export const alertsQuery = alerterRpc.alerts.request.extend({
  since: since.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  include_suppressed: bool('false'),
});
const idParams = z.object({ id: z.string().min(1).max(64) });
const ackBody = z.object({ note: alerterRpc.ack.request.shape.note }).default({});
export const silenceBody = alerterRpc.silence.request
  .omit({ by: true, is_admin: true })
  .refine((b) => b.duration_s !== undefined || b.ends_at !== undefined, {
    message: 'duration_s or ends_at is required',
    path: ['duration_s'],
  });
/** A maintenance window from the console: the alerter's request, the author and origin (`api`) set here. */
export const maintenanceBody = alerterRpc.maintenance.request.omit({
  by: true,
  is_admin: true,
  origin: true,
});
const unauthorized = apiError.describe('no or a wrong login token (Authorization: Bearer <token>)');
const errors = { 400: apiError, 404: apiError, 503: apiError };

/**
 * Alerts, timelines, acknowledgements, silences and maintenance windows: the alerter's RPC (the same methods chat's
 * commands call), with the login token for writes.
 */
export const alertRoutes =
  (d: AlertRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Writes check the token before anything else: a request without it learns nothing but how to log in.
    const guard = async (req: FastifyRequest, reply: FastifyReply) => {
      const refused = d.auth.refuse(req.headers.authorization);
      if (refused) return reply.code(401).send(refused);
    };

    app.get(
      '/alerts',
      {
        schema: {
          tags: ['alerts'],
          summary: 'Alerts, newest first',
          querystring: alertsQuery,
          response: { 200: alerterRpc.alerts.result, ...errors },
        },
      },
      async (req) => {
        const q = req.query;
        let from: string | undefined;
        if (q.since !== undefined) from = new Date(parseWhen(q.since, d.now())).toISOString();
        return d.call('alerter', 'alerts', {
          ...q,
          since: from,
          include_suppressed: q.include_suppressed === 'true',
        });
      },
    );

    app.get(
      '/alerts/:id',
      {
        schema: {
          tags: ['alerts'],
          summary: 'One alert (an episode) and its timeline',
          params: idParams,
          response: { 200: alerterRpc.alert.result, ...errors },
        },
      },
      async (req) => d.call('alerter', 'alert', { id: req.params.id }),
    );

    app.post(
      '/alerts/:id/ack',
      {
        schema: {
          tags: ['alerts'],
          summary: 'Acknowledge an alert (login token)',
          security: [{ bearer: [] }],
          params: idParams,
          body: ackBody,
          response: { 200: alerterRpc.ack.result, 401: unauthorized, ...errors },
        },
        onRequest: guard,
      },
      async (req) =>
        d.call('alerter', 'ack', {
          by: d.actor,
          is_admin: true,
          episode_id: req.params.id,
          note: req.body?.note,
        }),
    );

    app.get(
      '/silences',
      {
        schema: {
          tags: ['silences'],
          summary: 'Silences (active ones by default)',
          querystring: z.object({ active: bool('true') }),
          response: { 200: alerterRpc.silences.result, ...errors },
        },
      },
      async (req) => d.call('alerter', 'silences', { active: req.query.active === 'true' }),
    );

    app.post(
      '/silences',
      {
        schema: {
          tags: ['silences'],
          summary: 'Create a silence (login token)',
          security: [{ bearer: [] }],
          body: silenceBody,
          response: { 201: alerterRpc.silence.result, 401: unauthorized, ...errors },
        },
        onRequest: guard,
      },
      async (req, reply) => {
        const r = await d.call('alerter', 'silence', { ...req.body, by: d.actor, is_admin: true });
        return reply.code(201).send(r);
      },
    );

    app.delete(
      '/silences/:id',
      {
        schema: {
          tags: ['silences'],
          summary: 'Expire a silence now (login token)',
          security: [{ bearer: [] }],
          params: idParams,
          response: { 200: alerterRpc.expire_silence.result, 401: unauthorized, ...errors },
        },
        onRequest: guard,
      },
      async (req) => d.call('alerter', 'expire_silence', { id: req.params.id, by: d.actor, is_admin: true }),
    );

    app.get(
      '/maintenance',
      {
        schema: {
          tags: ['maintenance'],
          summary: 'Maintenance windows (those not ended by default), with their current or next occurrence',
          querystring: z.object({ active: bool('true') }),
          response: { 200: alerterRpc.maintenances.result, ...errors },
        },
      },
      async (req) => d.call('alerter', 'maintenances', { active: req.query.active === 'true' }),
    );

    app.post(
      '/maintenance',
      {
        schema: {
          tags: ['maintenance'],
          summary: 'Create a maintenance window (login token): alerts it matches are recorded, not notified',
          description:
            'Exactly one of `weekly` (days, start, end in `timezone`), `cron` with `duration_s`, or a one-off: ' +
            '`starts_at` (default now) with `ends_at` or `duration_s`. A summary is posted when an occurrence ends.',
          security: [{ bearer: [] }],
          body: maintenanceBody,
          response: { 201: alerterRpc.maintenance.result, 401: unauthorized, ...errors },
        },
        onRequest: guard,
      },
      async (req, reply) => {
        const r = await d.call('alerter', 'maintenance', {
          ...req.body,
          by: d.actor,
          is_admin: true,
          origin: 'api',
        });
        return reply.code(201).send(r);
      },
    );

    app.delete(
      '/maintenance/:id',
      {
        schema: {
          tags: ['maintenance'],
          summary: 'End a maintenance window now (login token): no later occurrence; its summary follows',
          security: [{ bearer: [] }],
          params: idParams,
          response: { 200: alerterRpc.end_maintenance.result, 401: unauthorized, ...errors },
        },
        onRequest: guard,
      },
      async (req) => d.call('alerter', 'end_maintenance', { id: req.params.id, by: d.actor, is_admin: true }),
    );
  };
