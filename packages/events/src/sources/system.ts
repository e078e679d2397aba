import { z } from 'zod';
import { defineEvent } from '../registry.ts';

/** Events about tocsin itself, published by any service. */
export const SYSTEM = 'system';

export const serviceStarted = defineEvent({
  source: SYSTEM,
  type: 'service_started',
  version: 1,
  description: 'A service instance started; ingestors say what they watch (nodes, chains, heights).',
  data: z.object({
    service: z.string(),
    version: z.string(),
    watches: z
      .array(
        z.object({
          chain_id: z.string(),
          endpoints: z.array(z.string()),
          height: z.number().int().nullable(),
          detail: z.string().optional(),
        }),
      )
      .default([]),
    name: z.string().optional().describe('configured instance display name'),
    icon_url: z.string().optional(),
  }),
  example: {
    service: 'cosmos-ibc',
    version: '0.1.0',
    watches: [{ chain_id: 'cosmoshub-4', endpoints: ['https://rpc.example.org'], height: 23456789 }],
  },
});

export const heartbeat = defineEvent({
  source: SYSTEM,
  type: 'heartbeat',
  version: 1,
  description:
    'Liveness, published on <prefix>.health.<service> (core NATS, not stored). The alerter fires when a service is silent.',
  data: z.object({
    service: z.string(),
    ready: z.boolean(),
    uptime_s: z.number().nonnegative(),
    heights: z.record(z.string(), z.number()).default({}).describe('latest block height seen per chain'),
    stopping: z
      .boolean()
      .default(false)
      .describe(
        'true on the last heartbeat of an instance that is stopping cleanly (scale-down, redeploy): its silence that follows is expected',
      ),
  }),
  example: {
    service: 'cosmos-ibc',
    ready: true,
    uptime_s: 3600,
    heights: { 'cosmoshub-4': 23456789 },
    stopping: false,
  },
});

export const deliveryFailed = defineEvent({
  source: SYSTEM,
  type: 'delivery_failed',
  version: 1,
  description: 'A notifier gave up on a notification permanently (unknown channel, missing permission, ...).',
  data: z.object({
    notifier: z.string(),
    channel: z.string(),
    notification_key: z.string(),
    reason: z.string(),
    status: z.number().int().nullable(),
  }),
  example: {
    notifier: 'discord',
    channel: '123456789012345678',
    notification_key: '01JD...:firing',
    reason: 'Missing Permissions (50013)',
    status: 403,
  },
});

export const systemEvents = [serviceStarted, heartbeat, deliveryFailed];
