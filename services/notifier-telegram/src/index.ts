import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { autoRetry } from '@grammyjs/auto-retry';
import { type CommandRegistry, defaultCommands } from '@tocsin/commands';
import { notifierService, type Provider, withBurstDigest } from '@tocsin/notify';
import { SecretFileError, type ServiceContext } from '@tocsin/runtime';
import { applyOnce } from '@tocsin/store';
import { Bot, GrammyError, webhookCallback } from 'grammy';
import { attachChat, botCommands } from './chat.ts';
import { parseChannel, type TelegramConfig, telegramConfig } from './config.ts';
import { telegramProvider } from './provider.ts';
import { telegramStore } from './store.ts';

export { attachChat, botCommands, renderCommandReply } from './chat.ts';
export { channelOf, parseChannel, routesOf, type TelegramConfig, telegramConfig } from './config.ts';
export { planDelivery, telegramProvider, toDeliveryError } from './provider.ts';
export {
  decodeCallback,
  esc,
  keyboard,
  type MessageState,
  mentionIds,
  renderMessage,
  renderReply,
} from './render.ts';
export { telegramStore } from './store.ts';

const migrations = {
  name: 'notifier-telegram',
  dir: join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations'),
};
const ALLOWED_UPDATES = ['message', 'callback_query'] as const;
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const DIGEST_MAX = 15;

export interface TelegramNotifierOptions {
  /** The commands offered; default every domain's commands plus help (`defaultCommands('/')`). */
  commands?: () => CommandRegistry;
}

/** grammY against the configured Bot API root, 429s waited out (retry_after) up to the configured limits. */
export function telegramBot(token: string, cfg: TelegramConfig): Bot {
  const bot = new Bot(token, {
    client: { apiRoot: cfg.api_root, timeoutSeconds: Math.max(1, Math.ceil(cfg.timeout / 1000)) },
  });
  bot.api.config.use(
    autoRetry({
      maxRetryAttempts: cfg.rate_limit_retries,
      maxDelaySeconds: Math.ceil(cfg.max_retry_after / 1000),
      // 5xx and network failures go back to the stream, which retries with backoff (after reconciling).
      rethrowInternalServerErrors: true,
      rethrowHttpErrors: true,
    }),
  );
  return bot;
}

/** Private chats take ~1 message/s, groups ~20/min: one burst gate for each kind of chat. */
function paced(provider: ReturnType<typeof telegramProvider>, cfg: TelegramConfig): Provider {
  // At most DIGEST_MAX notifications a digest, so that one message lists every alert within 4,096 characters.
  const privateChats = withBurstDigest(provider, {
    burst: cfg.rate.private.burst,
    perMs: cfg.rate.private.per,
    maxDigest: DIGEST_MAX,
  });
  const groups = withBurstDigest(provider, {
    burst: cfg.rate.group.burst,
    perMs: cfg.rate.group.per,
    maxDigest: DIGEST_MAX,
  });
  return {
    ...groups,
    deliver: (ctx) => (parseChannel(ctx.channel).chatId > 0 ? privateChats : groups).deliver(ctx),
  };
}

async function connect(ctx: ServiceContext<TelegramConfig>, bot: Bot): Promise<void> {
  const cfg = ctx.section;
  try {
    await bot.init();
    ctx.log.info({ bot: bot.botInfo.username, id: bot.botInfo.id }, 'connected to Telegram');
  } catch (err) {
    if (err instanceof GrammyError && (err.error_code === 401 || err.error_code === 404)) {
      throw new SecretFileError(`Telegram rejected the bot token in ${cfg.token_file}: ${err.description}`);
    }
    throw err;
  }
}

/** The Telegram notifier service: alerts to chats and topics, buttons and commands (default port 9468). */
export function telegramNotifier(options: TelegramNotifierOptions = {}) {
  return notifierService({
    name: 'notifier-telegram',
    version: '0.1.0',
    config: { section: 'telegram', schema: telegramConfig },
    defaultPort: 9468,
    migrations: [migrations],
    consumer: (cfg) => ({ concurrency: cfg.concurrency, ackWaitMs: cfg.ack_wait }),
    async createProvider(ctx) {
      const cfg = ctx.section;
      const log = ctx.log;
      if (!cfg.chats.length) log.warn('telegram.chats is empty: no alert will be posted');
      const bot = telegramBot(ctx.readSecret(cfg.token_file), cfg);
      await connect(ctx, bot);
      const store = telegramStore(ctx.pool);
      const provider = telegramProvider({ api: bot.api, config: cfg, store, log });
      bot.catch((err) =>
        log.warn({ err: String(err.error), update: err.ctx.update.update_id }, 'update failed'),
      );
      if (cfg.commands) {
        const registry = options.commands?.() ?? defaultCommands('/');
        attachChat({
          bot,
          registry,
          nc: ctx.nc,
          subjects: ctx.subjects,
          store,
          admins: cfg.admins,
          log,
          now: () => ctx.clock.now(),
          // Replicas (webhook mode) and an update handed out again after a crash: answered once.
          claim: (id) =>
            applyOnce(ctx.pool, 'notifier-telegram.update', `${bot.botInfo.id}:${id}`, async () => undefined),
          editMessage: (chatId, messageId, change) => provider.editMessage(chatId, messageId, change),
        });
        try {
          const commands = botCommands(registry, log);
          await bot.api.setMyCommands(commands);
          log.info({ count: commands.length }, 'bot commands registered');
        } catch (err) {
          log.warn({ err: String(err) }, 'bot commands not registered');
        }
      }
      if (cfg.mode === 'webhook' && cfg.webhook) {
        const secret = ctx.readSecret(cfg.webhook.secret_token_file).trim();
        if (!SECRET_TOKEN.test(secret)) {
          throw new SecretFileError(
            `${cfg.webhook.secret_token_file} must hold 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)`,
          );
        }
        ctx.http.post(
          cfg.webhook.path,
          webhookCallback(bot, 'fastify', { secretToken: secret, onTimeout: 'return' }),
        );
        await bot.api.setWebhook(cfg.webhook.url, {
          secret_token: secret,
          allowed_updates: [...ALLOWED_UPDATES],
        });
        log.info({ path: cfg.webhook.path }, 'telegram webhook set');
      } else if (cfg.commands) {
        const pollSeconds = Math.max(1, Math.floor(cfg.timeout / 1000) - 5);
        bot
          .start({ allowed_updates: [...ALLOWED_UPDATES], timeout: pollSeconds })
          .catch((err: unknown) => log.error({ err: String(err) }, 'telegram long polling stopped'));
        ctx.onStop(async () => {
          if (bot.isRunning()) await bot.stop().catch(() => undefined);
        });
      }
      return paced(provider, cfg);
    },
  });
}

export default telegramNotifier();
