import { routeConfig } from '@tocsin/notify';
import { positiveDuration } from '@tocsin/runtime';
import { z } from 'zod';

const SLACK_ID = /^[A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

/**
 * A mention as written in config: a user id (`U123`, `W123`), a user group (`subteam:S123`), `here`/`channel`, or
 * Slack's own syntax (`<@U123>`, `<!subteam^S123>`, `<!here>`). Normalised to Slack's syntax.
 */
export const slackMention = z.string().transform((raw, ctx) => {
  const v = raw.trim();
  if (/^<[@!#][^<>\s]+>$/.test(v)) return v;
  if (v === 'here' || v === 'channel' || v === 'everyone') return `<!${v}>`;
  if (v.startsWith('subteam:') && SLACK_ID.test(v.slice(8))) return `<!subteam^${v.slice(8)}>`;
  if (v.startsWith('slack:') && SLACK_ID.test(v.slice(6))) return `<@${v.slice(6)}>`;
  if (SLACK_ID.test(v)) return `<@${v}>`;
  ctx.addIssue({
    code: 'custom',
    message: `"${raw}" is not a Slack mention (U123, subteam:S123, here, or <@U123>)`,
  });
  return z.NEVER;
});

// Edits and history lookups take channel ids only, so names are refused up front rather than failing later.
const channelId = z.string().refine((c) => CHANNEL_ID.test(c), {
  error: (i) =>
    `"${String(i.input)}" is not a channel id (like C0123ABCD: channel details → About, at the bottom)`,
});
const route = routeConfig.shape.routes.unwrap().element.extend({ channel: channelId });

/** The `slack:` config section. Secrets only from files. */
export const slackConfig = routeConfig.extend({
  default_channel: channelId.optional(),
  routes: z.array(route).default([]),
  token_file: z.string().min(1).describe('file holding the bot token (xoxb-…), mode 0600'),
  signing_secret_file: z
    .string()
    .min(1)
    .optional()
    .describe('file holding the app signing secret; without it the buttons and /tocsin are disabled'),
  api_url: z.url().default('https://slack.com/api/'),
  socket_mode: z
    .boolean()
    .default(false)
    .describe(
      'take buttons and /tocsin over Socket Mode (a websocket this service opens): no public URL needed',
    ),
  app_token_file: z
    .string()
    .min(1)
    .optional()
    .describe(
      'file holding the app-level token (xapp-…, scope connections:write), mode 0600; for socket_mode',
    ),
  mentions: z.array(slackMention).default([]).describe('tagged on firing, repeat and escalated alerts'),
  admin_users: z
    .array(z.string().regex(SLACK_ID, 'a Slack user id like U0123ABCD'))
    .default([])
    .describe('Slack user ids allowed admin commands (e.g. deregistering for someone else)'),
  username: z.string().min(1).max(80).default('tocsin'),
  icon_url: z.url().optional(),
  icon_emoji: z
    .string()
    .regex(/^:[a-z0-9_+-]+:$/, 'an emoji like :rotating_light:')
    .optional(),
  /** Per-request timeout; a timed-out call is retried through the stream (nak with backoff). */
  timeout: positiveDuration.default(10_000),
  /** How many times the SDK retries a 429 (after waiting Retry-After) before the delivery is naked. */
  rate_limit_retries: z.number().int().min(0).max(20).default(10),
  /**
   * New messages per channel before the rest of a burst is coalesced into one digest message (Slack allows
   * about one message per second per channel, with short bursts).
   */
  rate: z
    .strictObject({
      burst: z.number().int().min(1).max(1000).default(5),
      per: positiveDuration.default(5000),
    })
    .prefault({}),
  /** Notifications handled at once (more lets a burst coalesce into fewer digests). */
  concurrency: z.number().int().min(1).max(256).default(32),
  /** How soon a notification held by a crashed replica is delivered by another (the consumer's ack wait). */
  ack_wait: positiveDuration.default(30_000),
});

/** The section with its cross-field rules (Socket Mode needs its app token). */
export const slackSection = slackConfig.superRefine((c, ctx) => {
  if (c.socket_mode && !c.app_token_file) {
    ctx.addIssue({
      code: 'custom',
      path: ['app_token_file'],
      message: 'required with socket_mode: true (a file holding the app-level token xapp-…)',
    });
  }
});
export type SlackConfig = z.output<typeof slackConfig>;
