import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCommands } from '@tocsin/commands';
import { notifierService, withBurstDigest } from '@tocsin/notify';
import type { ServiceContext } from '@tocsin/runtime';
import { applyOnce } from '@tocsin/store';
import { type Client, Events } from 'discord.js';
import { alertButtonHandler } from './alertButtons.ts';
import { loginBot } from './botClient.ts';
import { botTransport } from './botTransport.ts';
import { cardStore } from './cardStore.ts';
import { attachChatCommands, registerSlashCommands } from './chatCommands.ts';
import { type DiscordConfig, discordConfig } from './config.ts';
import { discordProvider } from './discordProvider.ts';
import type { DiscordTransport } from './transport.ts';
import { webhookTransport } from './webhookTransport.ts';

export { type BotClientOptions, loginBot } from './botClient.ts';
export { type DiscordConfig, discordConfig } from './config.ts';
export { type Card, type MessageBody, renderCard } from './render/card.ts';

const migrations = {
  name: 'notifier-discord',
  dir: join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations'),
};

/** Logs the bot in (REST base from config, gateway from /gateway/bot), with commands and buttons attached. */
async function startBot(
  ctx: ServiceContext<DiscordConfig>,
  attach: (client: Client) => void,
): Promise<Client<true>> {
  const cfg = ctx.section;
  return loginBot({
    token: ctx.readSecret(cfg.token_file!),
    apiUrl: cfg.api_url,
    retries: cfg.rest_retries,
    timeoutMs: cfg.rest_timeout,
    globalRequestsPerSecond: cfg.global_requests_per_second,
    messageContent: cfg.commands && cfg.prefix_commands,
    attach(client) {
      client.on(Events.Error, (err) => ctx.log.warn({ err: String(err) }, 'discord client error'));
      client.on(Events.ShardDisconnect, (e) =>
        ctx.log.warn({ code: e.code }, 'discord gateway disconnected'),
      );
      attach(client);
    },
  });
}

/**
 * The Discord notifier: alerts as embeds with buttons (bot) or through an incoming webhook (webhook-only mode),
 * and the chat commands of every domain as text and slash commands.
 */
export const discordNotifier = notifierService({
  name: 'notifier-discord',
  version: '0.1.0',
  config: { section: 'discord', schema: discordConfig },
  defaultPort: 9461,
  migrations: [migrations],
  consumer: (cfg) => ({ concurrency: cfg.concurrency, ackWaitMs: cfg.ack_wait }),
  async createProvider(ctx) {
    const cfg = ctx.section;
    const store = cardStore(ctx.pool);
    if (cfg.token_file && !cfg.default_channel && !cfg.routes.length) {
      ctx.log.warn('neither discord.default_channel nor discord.routes is set: no alert will be posted');
    }
    let transport: DiscordTransport;
    let provider: ReturnType<typeof discordProvider> | undefined;
    if (cfg.webhook_url_file) {
      transport = webhookTransport(ctx.readSecret(cfg.webhook_url_file), {
        apiUrl: cfg.api_url,
        retries: cfg.rest_retries,
        timeoutMs: cfg.rest_timeout,
        globalRequestsPerSecond: cfg.global_requests_per_second,
        ...(cfg.username ? { username: cfg.username } : {}),
        ...(cfg.avatar_url ? { avatarUrl: cfg.avatar_url } : {}),
      });
    } else {
      const registry = defaultCommands(cfg.prefix);
      const client = await startBot(ctx, (c) => {
        if (!cfg.commands) return;
        attachChatCommands({
          client: c,
          registry,
          nc: ctx.nc,
          subjects: ctx.subjects,
          adminRoles: cfg.admin_roles,
          prefixCommands: cfg.prefix_commands,
          log: ctx.log,
          // Replicas share the bot's gateway events: the inbox lets exactly one of them answer each.
          claim: (id) => applyOnce(ctx.pool, 'notifier-discord.chat', id, async () => undefined),
          onAlertButton: alertButtonHandler({
            store,
            nc: ctx.nc,
            subjects: ctx.subjects,
            adminRoles: cfg.admin_roles,
            log: ctx.log,
            updateCardMessages: (channel, id, change) => provider!.updateCardMessages(channel, id, change),
          }),
        });
      });
      if (cfg.commands) {
        try {
          const count = await registerSlashCommands(client, registry, {
            ...(cfg.guild_id ? { guildId: cfg.guild_id } : {}),
            ...(cfg.application_id ? { applicationId: cfg.application_id } : {}),
          });
          ctx.log.info({ count, guild: cfg.guild_id ?? 'global' }, 'slash commands registered');
        } catch (err) {
          ctx.log.warn(
            { err: String(err) },
            'slash commands not registered (was the bot invited with the applications.commands scope?)',
          );
        }
      }
      transport = botTransport(client);
    }
    ctx.onStop(() => transport.close());
    provider = discordProvider({ transport, store, config: cfg, log: ctx.log });
    return withBurstDigest(provider, { burst: cfg.rate.burst, perMs: cfg.rate.per });
  },
});
