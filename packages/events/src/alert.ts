import { z } from 'zod';
import { ulid } from './envelope.ts';
import { SEVERITIES } from './subjects.ts';

/** Alerts are judgements made by the alerter from events (facts). */
export const severity = z.enum(SEVERITIES);
export const alertState = z.enum(['pending', 'firing', 'resolved']);

/**
 * Labels the alerter sets on every alert from the rule and the event (a rule cannot set them). Chat messages show
 * them in their own places (title, colour, chain), so they leave them out of the label list.
 */
export const IMPLICIT_LABELS = ['rule', 'source', 'chain_id', 'severity'] as const;

export const alert = z.object({
  fingerprint: z
    .string()
    .describe('hash(rule id, fingerprint labels): the identity of the alert across episodes'),
  episode_id: ulid.describe('one firing→resolved cycle; firing again after resolution opens a new episode'),
  rule_id: z.string(),
  state: alertState,
  severity,
  source: z.string(),
  chain_id: z.string(),
  labels: z.record(z.string(), z.string()),
  summary: z.string(),
  description: z.string().default(''),
  started_at: z.iso.datetime({ offset: true }),
  resolved_at: z.iso.datetime({ offset: true }).nullable().default(null),
  value: z.number().nullable().default(null).describe('the measured value the condition looked at, if any'),
  acknowledged: z
    .object({
      by: z.string(),
      at: z.iso.datetime({ offset: true }),
      until: z.iso
        .datetime({ offset: true })
        .nullable()
        .optional()
        .describe('an acknowledgement for a time: when it runs out (null: until the alert resolves)'),
      note: z.string().nullable().optional(),
    })
    .nullable()
    .default(null),
  silenced_by: z.array(z.string()).default([]),
  escalated: z.boolean().default(false),
  mentions: z
    .array(z.string())
    .default([])
    .describe('owners to tag: discord:<id>, slack:<id>, telegram:<id>, role:<id>'),
  links: z.array(z.object({ title: z.string(), url: z.string() })).default([]),
  event_id: z.string().nullable().default(null).describe('the event that caused the latest transition'),
  manual_resolve: z
    .boolean()
    .optional()
    .describe(
      'its rule cannot resolve it on its own (a notice-like fact): it may be resolved by hand (RPC `resolve`, the chats’ Resolve button)',
    ),
  retracted: z
    .object({ at: z.iso.datetime({ offset: true }), reason: z.string() })
    .nullable()
    .default(null)
    .describe(
      'the fact behind the alert no longer holds (e.g. its block left the best chain): chats strike it through',
    ),
  flapping: z
    .object({
      changes: z.number().int().nonnegative().describe('fires and resolves within the window'),
      window_ms: z.number().int().positive(),
      state: z.enum(['firing', 'resolved']).describe('the state it is in now'),
      settled: z.boolean().describe('stable for the window: the final edit'),
    })
    .optional()
    .describe(
      'flap suppression: the alert changes too often; its one message is edited (transition `flapping`) until it settles',
    ),
});
export type Alert = z.infer<typeof alert>;

export const TRANSITIONS = [
  'firing',
  'resolved',
  'repeat',
  'escalated',
  'acknowledged',
  'retracted',
  'notice',
  'flapping',
] as const;
export const transition = z.enum(TRANSITIONS);
export type Transition = z.infer<typeof transition>;

/**
 * What the notifiers consume from `<prefix>.alerts.<severity>.<source>`: one transition of one alert, or a
 * group of alerts that changed together (a storm becomes one message).
 */
export const notification = z.object({
  id: ulid,
  version: z.literal(1),
  key: z
    .string()
    .min(1)
    .describe('stable identity of this notification: used as Nats-Msg-Id and as the delivery-log key'),
  transition,
  severity,
  source: z.string(),
  group: z.object({
    key: z.string(),
    labels: z.record(z.string(), z.string()),
  }),
  alerts: z.array(alert).min(1),
  mentions: z.array(z.string()).default([]),
  notifiers: z
    .array(z.string())
    .optional()
    .describe(
      'the notifiers (discord, slack, telegram, ...) that deliver it: an escalation step with notify_by; absent = every notifier',
    ),
  incident: z
    .object({
      id: z.string().describe('the correlation rule'),
      summary: z.string().describe('one line, the likely cause first'),
      context: z
        .array(z.string())
        .optional()
        .describe(
          'episode ids of the alerts listed as context, not members (e.g. the counterparty chain stalled): each has its own message, and may be listed in several incidents; a notifier does not take this message for theirs',
        ),
    })
    .optional()
    .describe(
      'set when the alerts are one incident (a correlation rule tied them): they are listed cause first',
    ),
  digest: z
    .object({
      owner: z.string().describe('the subscriber (discord:<id>, slack:<id>, telegram:<id>)'),
      cadence: z.enum(['hourly', 'daily']),
      period_start: z.iso.datetime({ offset: true }),
      period_end: z.iso.datetime({ offset: true }),
      timezone: z
        .string()
        .optional()
        .describe("daily: the subscriber's IANA time zone, in which the digest shows its times"),
    })
    .optional()
    .describe(
      "a subscriber's digest (`$subscribe <chain|source> hourly|daily`): a notice that tags its owner, and only them",
    ),
  created_at: z.iso.datetime({ offset: true }),
});
export type Notification = z.infer<typeof notification>;
