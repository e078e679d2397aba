import { routeConfig } from '@tocsin/notify';
import { positiveDuration } from '@tocsin/runtime';
import { z } from 'zod';

const snowflake = z
  .string()
  .regex(/^\d{5,25}$/, 'a Discord id (digits; enable Developer Mode, then "Copy ID")');

/** `<@123>`, `<@&123>`, `user:123`, `discord:123` or `role:123`. */
const mention = z
  .string()
  .regex(
    /^(<@!?\d+>|<@&\d+>|(user|discord|role):\d+)$/,
    'a mention like <@123> (user), <@&123> (role), discord:123 or role:123',
  );

const severities = ['info', 'warning', 'critical'] as const;

export const discordConfig = z
  .strictObject({
    /** Bot token, read from this file (chmod 600). Enables commands and buttons. */
    token_file: z.string().min(1).optional(),
    /** Incoming-webhook URL, read from this file: webhook-only mode (alerts only, no commands or buttons). */
    webhook_url_file: z.string().min(1).optional(),
    /** REST base URL (tests point it at the fake Discord). */
    api_url: z.string().url().default('https://discord.com/api'),
    /** Only needed when the application id differs from the bot user id (it is read at login otherwise). */
    application_id: snowflake.optional(),
    /** Register slash commands in this guild (instant) instead of globally. */
    guild_id: snowflake.optional(),
    ...routeConfig.shape,
    /** Who to tag on firing, repeated and escalated alerts: one list, or one per severity. Empty = no one. */
    mentions: z
      .union([
        z.array(mention),
        z.strictObject(Object.fromEntries(severities.map((s) => [s, z.array(mention).optional()]))),
      ])
      .default([]),
    /** Members with one of these roles are admins ($deregister of others' wallets, ...). */
    admin_roles: z.array(snowflake).default([]),
    /** Prefix of text commands ($data); they need the MessageContent intent. */
    prefix: z.string().min(1).max(3).default('$'),
    /** Text commands and slash commands (bot mode). */
    commands: z.boolean().default(true),
    /** Text commands (`$data`) need the privileged MessageContent intent; false = slash commands only. */
    prefix_commands: z.boolean().default(true),
    /** Webhook-mode display name and avatar. */
    username: z.string().min(1).max(80).optional(),
    avatar_url: z.string().url().optional(),
    /** Links added to alerts whose label has a value, e.g. an address → a block explorer. */
    explorers: z
      .array(
        z.strictObject({
          chain_id: z.union([z.string(), z.array(z.string())]).optional(),
          label: z.string().min(1),
          url: z.string().includes('{value}', { message: 'must contain {value}' }),
          title: z.string().min(1).default('Explorer'),
        }),
      )
      .default([]),
    /** Messages per channel before a burst is coalesced into a digest (Discord allows about 5 per 5 s). */
    rate: z
      .strictObject({
        burst: z.number().int().min(1).max(50).default(5),
        per: positiveDuration.default(5000),
      })
      .prefault({}),
    /** Notifications handled at once (more lets a burst coalesce into fewer digests). */
    concurrency: z.number().int().min(1).max(256).default(32),
    /** Retries of a request inside discord.js before the notification is retried later with backoff. */
    rest_retries: z.number().int().min(0).max(10).default(3),
    rest_timeout: positiveDuration.default(15_000),
    /** discord.js's own global pace (Discord allows a bot 50 requests/s unless it granted more). */
    global_requests_per_second: z.number().int().min(1).max(10_000).default(50),
    /** How soon a notification held by a crashed replica is delivered by another (the consumer's ack wait). */
    ack_wait: positiveDuration.default(30_000),
  })
  .superRefine((c, ctx) => {
    if (!c.token_file === !c.webhook_url_file) {
      ctx.addIssue({
        code: 'custom',
        path: ['token_file'],
        message: 'set token_file (bot) or webhook_url_file (webhook-only mode), not both',
      });
    }
    const channel = /^\d{5,25}$/;
    if (c.token_file) {
      if (c.default_channel && !channel.test(c.default_channel)) {
        ctx.addIssue({ code: 'custom', path: ['default_channel'], message: 'a channel id (digits)' });
      }
      c.routes.forEach((r, i) => {
        if (!channel.test(r.channel)) {
          ctx.addIssue({ code: 'custom', path: ['routes', i, 'channel'], message: 'a channel id (digits)' });
        }
      });
    }
  });

export type DiscordConfig = z.output<typeof discordConfig>;
