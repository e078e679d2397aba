import { registerSecret } from '@tocsin/runtime';
import { WebhookClient } from 'discord.js';
import type { DiscordTransport } from './transport.ts';

/** `https://discord.com/api/webhooks/<id>/<token>` (any host: only the id and token are used). */
export function parseWebhookUrl(url: string): { id: string; token: string } {
  const m = /\/webhooks\/(\d{5,25})\/([\w-]{20,})\/?$/.exec(url.trim());
  if (!m)
    throw new Error('webhook_url_file does not hold a Discord webhook URL (…/api/webhooks/<id>/<token>)');
  return { id: m[1]!, token: m[2]! };
}

/**
 * Webhook-only mode: alerts through discord.js WebhookClient (`?wait=true`, so edits on resolve work), with the
 * configured name and avatar. Webhooks cannot reply, carry buttons or list messages, so there are no buttons and
 * no reconcile: a crash between Discord creating a message and the log recording it may repeat that one message.
 */
export function webhookTransport(
  url: string,
  opts: {
    apiUrl: string;
    retries: number;
    timeoutMs: number;
    globalRequestsPerSecond?: number;
    username?: string;
    avatarUrl?: string;
  },
): DiscordTransport {
  const { id, token } = parseWebhookUrl(url);
  registerSecret(token);
  const webhook = new WebhookClient(
    { id, token },
    {
      rest: {
        api: opts.apiUrl,
        retries: opts.retries,
        timeout: opts.timeoutMs,
        ...(opts.globalRequestsPerSecond ? { globalRequestsPerSecond: opts.globalRequestsPerSecond } : {}),
      },
    },
  );
  return {
    mode: 'webhook',
    async post(_channel, body, postOpts) {
      const sent = await webhook.send({
        ...(body.content ? { content: body.content } : {}),
        embeds: body.embeds,
        allowedMentions: {
          parse: [],
          users: body.allowed_mentions?.users ?? [],
          roles: body.allowed_mentions?.roles ?? [],
        },
        // The reporting instance's own name and avatar when the notification carries them, else the configured ones.
        ...(postOpts.sender?.name || opts.username
          ? { username: postOpts.sender?.name ?? opts.username }
          : {}),
        ...(postOpts.sender?.iconUrl || opts.avatarUrl
          ? { avatarURL: postOpts.sender?.iconUrl ?? opts.avatarUrl }
          : {}),
      });
      return { id: sent.id };
    },
    async edit(_channel, messageId, body) {
      await webhook.editMessage(messageId, { embeds: body.embeds });
    },
    async close() {
      webhook.destroy();
    },
  };
}
