import { DeliveryError } from '@tocsin/notify';
import type { Client, Message, SendableChannels } from 'discord.js';
import type { DiscordTransport } from './transport.ts';

/** Messages through a logged-in discord.js Client: its REST queue handles buckets, 429s and 5xx retries. */
export function botTransport(client: Client<true>): DiscordTransport {
  async function channelOf(id: string): Promise<SendableChannels> {
    const ch = client.channels.cache.get(id) ?? (await client.channels.fetch(id));
    if (!ch?.isSendable()) throw new DeliveryError(`channel ${id} is not a text channel`, false, null);
    return ch;
  }
  return {
    mode: 'bot',
    async post(channel, body, opts) {
      const ch = await channelOf(channel);
      const sent = await ch.send({
        ...(body.content ? { content: body.content } : {}),
        embeds: body.embeds,
        ...(body.components ? { components: body.components } : {}),
        allowedMentions: {
          parse: [],
          users: body.allowed_mentions?.users ?? [],
          roles: body.allowed_mentions?.roles ?? [],
          repliedUser: false,
        },
        nonce: opts.nonce,
        enforceNonce: true,
        ...(opts.replyTo ? { reply: { messageReference: opts.replyTo, failIfNotExists: false } } : {}),
      });
      return { id: sent.id };
    },
    async edit(channel, messageId, body) {
      const ch = await channelOf(channel);
      await ch.messages.edit(messageId, {
        embeds: body.embeds,
        ...(body.components ? { components: body.components } : {}),
      });
    },
    async recent(channel, limit) {
      const ch = await channelOf(channel);
      const messages = await ch.messages.fetch({ limit, cache: false });
      return [...messages.values()]
        .filter((m: Message) => m.author.id === client.user.id)
        .map((m) => ({ id: m.id, footers: m.embeds.map((e) => e.footer?.text ?? '') }));
    },
    async close() {
      await client.destroy();
    },
  };
}
