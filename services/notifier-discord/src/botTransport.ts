import { DeliveryError } from '@tocsin/notify';
import type { Client, SendableChannels } from 'discord.js';
import type { DiscordTransport } from './transport.ts';

/** Discord's largest page of channel messages. */
const PAGE = 100;

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
    async recent(channel, sinceMs, max) {
      const ch = await channelOf(channel);
      const out: { id: string; footers: string[] }[] = [];
      let before: string | undefined;
      for (let seen = 0; seen < max; ) {
        const limit = Math.min(PAGE, max - seen);
        const page = [
          ...(await ch.messages.fetch({ limit, cache: false, ...(before ? { before } : {}) })).values(),
        ];
        seen += page.length;
        for (const m of page) {
          if (m.createdTimestamp < sinceMs) return { messages: out, complete: true };
          if (m.author.id === client.user.id)
            out.push({ id: m.id, footers: m.embeds.map((e) => e.footer?.text ?? '') });
        }
        if (page.length < limit) return { messages: out, complete: true };
        before = page.at(-1)!.id;
      }
      return { messages: out, complete: false };
    },
    async close() {
      await client.destroy();
    },
  };
}
