import { z } from 'zod';
import { timeOfDay } from './maintenance.ts';
import { caller, owner } from './owner.ts';

/** How often a subscriber hears about the alerts of a chain or source: tagged on each alert, or one digest a period. */
export const CADENCES = ['immediate', 'hourly', 'daily'] as const;
export const cadence = z.enum(CADENCES);
export type Cadence = z.infer<typeof cadence>;

/** A person's subscription to the alerts of one chain or one source (`$subscribe`). */
export const alertSubscription = z.object({
  id: z.string(),
  owner,
  scope: z.enum(['chain', 'source']).describe('what `value` names: a chain id or a source (cosmos-ibc, …)'),
  value: z.string().min(1),
  cadence: cadence.describe(
    'immediate: tagged on each alert; hourly: one digest message an hour (UTC hours); daily: one a day at `at` in `timezone`',
  ),
  at: timeOfDay
    .optional()
    .describe('daily only: the local time the digest is sent, ending the day it covers (absent: 00:00)'),
  timezone: z
    .string()
    .min(1)
    .optional()
    .describe("daily only: the IANA time zone of `at` and of the digest's times (absent: UTC)"),
  created_at: z.iso.datetime({ offset: true }),
});
export type AlertSubscription = z.infer<typeof alertSubscription>;

/** The alerter's RPC methods for alert subscriptions (part of `alerterRpc`). */
export const alertSubscriptionRpc = {
  /** Subscribes the owner to a chain's or a source's alerts with a cadence (again: changes the cadence). */
  alert_subscribe: {
    request: z.object({
      owner,
      value: z.string().min(1).max(200),
      scope: z
        .enum(['chain', 'source'])
        .optional()
        .describe('absent: a source when a rule has it as its source, else a chain id'),
      cadence,
      at: timeOfDay
        .optional()
        .describe(
          "daily only: the owner's daily digest time, for all their daily subscriptions (absent: theirs, else 00:00)",
        ),
      timezone: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .describe('daily only: the IANA time zone of `at` (absent with `at`: UTC)'),
    }),
    result: z.object({ subscription: alertSubscription, created: z.boolean() }),
  },
  alert_unsubscribe: {
    request: caller.extend({
      value: z.string().min(1).max(200),
      scope: z.enum(['chain', 'source']).optional(),
      owner: owner
        .optional()
        .describe("an admin removes another person's subscription (default: the caller's)"),
    }),
    result: z.object({ removed: z.number().int() }),
  },
  alert_subscriptions: {
    request: z.object({ owner: owner.optional() }),
    result: z.object({ subscriptions: z.array(alertSubscription) }),
  },
} as const;
