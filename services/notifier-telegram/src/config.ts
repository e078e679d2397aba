import { routeConfig } from '@tocsin/notify';
import { positiveDuration } from '@tocsin/runtime';
import { z } from 'zod';

/** A chat id: a user (positive), a group or supergroup (negative, -100… for supergroups). */
const chatId = z
  .number()
  .int()
  .refine((v) => v !== 0, 'a Telegram chat id (e.g. -1001234567890 for a supergroup)');
const userId = z.number().int().positive('a Telegram user id (a positive number)');

// The matchers every notifier's routes share (source, severity, chain_id, transition, continue).
const matchers = routeConfig.shape.routes.unwrap().element.omit({ channel: true }).shape;

const chat = z.strictObject({
  chat_id: chatId,
  /** A forum topic of the chat (supergroups with topics): alerts go to that topic. */
  message_thread_id: z.number().int().positive().optional(),
  ...matchers,
});

const rate = z.strictObject({
  burst: z.number().int().min(1).max(1000),
  per: positiveDuration,
});

/** The `telegram:` config section. The bot token only from a file. */
export const telegramConfig = z
  .strictObject({
    /** File holding the bot token from @BotFather (mode 0600). */
    token_file: z.string().min(1),
    /** Bot API root (tests point it at the fake; a self-hosted Bot API server works too). No trailing slash. */
    api_root: z
      .url()
      .refine((u) => !u.endsWith('/'), 'no trailing "/" (e.g. https://api.telegram.org)')
      .default('https://api.telegram.org'),
    /**
     * Where alerts go: each entry a chat (and optionally a forum topic) with matchers like the other notifiers'
     * routes. First match wins unless `continue: true`; an entry without matchers takes everything left.
     */
    chats: z.array(chat).default([]),
    /** Users tagged on firing, repeat and escalated alerts (tg://user links); per-subscriber mentions are added. */
    mentions: z.array(userId).default([]),
    /** Users allowed admin actions (silence, deregister for others) in every chat, besides each chat's admins. */
    admins: z.array(userId).default([]),
    /** Chat commands (`/data`, …) and the alert buttons. */
    commands: z.boolean().default(true),
    /** Updates by long polling (default), or pushed by Telegram to this service's HTTP port. */
    mode: z.enum(['polling', 'webhook']).default('polling'),
    webhook: z
      .strictObject({
        /** The public HTTPS URL Telegram posts to (your reverse proxy in front of `path`). */
        url: z.url(),
        /** Path on this service's HTTP port. */
        path: z.string().startsWith('/').default('/telegram/webhook'),
        /** File holding the secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (1–256 of A-Z a-z 0-9 _ -). */
        secret_token_file: z.string().min(1),
      })
      .optional(),
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
    /** A dashboard link on every alert; `{episode_id}`, `{chain_id}` and `{rule}` are filled in. */
    dashboard_url: z.string().url().optional(),
    /**
     * New messages per chat before the rest of a burst becomes one digest. Telegram allows about one message per
     * second in a chat and 20 per minute in a group.
     */
    rate: z
      .strictObject({
        private: rate.default({ burst: 1, per: 1000 }),
        group: rate.default({ burst: 1, per: 3000 }),
      })
      .prefault({}),
    /** 429s waited out inside the client (Telegram's retry_after) before the notification is retried later. */
    rate_limit_retries: z.number().int().min(0).max(20).default(5),
    /** A retry_after longer than this is not waited out in the client: the notification is retried later. */
    max_retry_after: positiveDuration.default(60_000),
    /** Per request (long polls excepted). */
    timeout: positiveDuration.default(15_000),
    concurrency: z.number().int().min(1).max(256).default(16),
    /** How soon a notification held by a crashed replica is delivered by another (the consumer's ack wait). */
    ack_wait: positiveDuration.default(30_000),
  })
  .superRefine((c, ctx) => {
    if (c.mode === 'webhook' && !c.webhook) {
      ctx.addIssue({
        code: 'custom',
        path: ['webhook'],
        message: 'required with mode: webhook ({ url, secret_token_file })',
      });
    }
  });

export type TelegramConfig = z.output<typeof telegramConfig>;

/** A channel of the delivery log: `<chat_id>` or `<chat_id>/<message_thread_id>`. */
export function channelOf(chatId: number, threadId?: number): string {
  return threadId === undefined ? String(chatId) : `${chatId}/${threadId}`;
}

export function parseChannel(channel: string): { chatId: number; threadId?: number } {
  const [chat, thread] = channel.split('/');
  return { chatId: Number(chat), ...(thread ? { threadId: Number(thread) } : {}) };
}

/** The shared route config of the other notifiers, from `chats`. */
export function routesOf(cfg: Pick<TelegramConfig, 'chats'>) {
  return {
    routes: cfg.chats.map(({ chat_id, message_thread_id, ...m }) => ({
      ...m,
      channel: channelOf(chat_id, message_thread_id),
    })),
  };
}
