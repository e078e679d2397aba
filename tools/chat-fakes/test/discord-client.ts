import { once } from 'node:events';
import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { FakeDiscord } from '../src/index.ts';

export const ALERT_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
];

/** A real discord.js client logged in to the fake, resolved once it is ready. */
export async function connectedClient(fake: FakeDiscord, intents = ALERT_INTENTS): Promise<Client> {
  // offset 0: @discordjs/rest otherwise adds 50 ms to every rate-limit wait.
  const client = new Client({ intents, rest: { api: fake.url, offset: 0 } });
  const ready = once(client, Events.ClientReady);
  await client.login('fake-bot-token');
  await ready;
  return client;
}

export const alice = { id: '200000000000000001', username: 'alice' };
