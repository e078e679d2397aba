import { once } from 'node:events';
import { Client, Events, GatewayIntentBits } from 'discord.js';

export interface BotClientOptions {
  token: string;
  /** REST base; the gateway URL comes from its `/gateway/bot`. */
  apiUrl: string;
  retries?: number;
  timeoutMs?: number;
  /** discord.js paces all requests to this (default 50, Discord's global limit for a bot). */
  globalRequestsPerSecond?: number;
  /** Text commands need the privileged MessageContent intent. */
  messageContent?: boolean;
  /** Wires handlers before login, so no early event is missed. */
  attach?(client: Client): void;
}

/** A discord.js Client logged in and ready (guilds and channels cached from GUILD_CREATE). */
export async function loginBot(opts: BotClientOptions): Promise<Client<true>> {
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages];
  if (opts.messageContent) intents.push(GatewayIntentBits.MessageContent);
  const client = new Client({
    intents,
    rest: {
      api: opts.apiUrl,
      ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
      ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
      ...(opts.globalRequestsPerSecond !== undefined
        ? { globalRequestsPerSecond: opts.globalRequestsPerSecond }
        : {}),
    },
  });
  opts.attach?.(client);
  const ready = once(client, Events.ClientReady);
  try {
    await client.login(opts.token);
    await ready;
  } catch (err) {
    await client.destroy();
    throw err;
  }
  return client as Client<true>;
}
