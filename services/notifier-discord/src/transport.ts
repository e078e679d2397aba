import type { Sender } from '@tocsin/notify';
import type { MessageBody } from './render/card.ts';

export interface PostOptions {
  /** Idempotency: with `enforce_nonce`, Discord returns the message already created with this nonce. */
  nonce: string;
  /** Post as a reply to this message (bot mode; webhooks cannot reply). */
  replyTo?: string;
  /** Post under this name and avatar (webhook mode; a bot has one identity). */
  sender?: Sender;
}

/** One of the bot's recent messages, as reconcile needs it. */
export interface RecentMessage {
  id: string;
  footers: string[];
}

/** How messages reach Discord: a bot (discord.js Client) or an incoming webhook (discord.js WebhookClient). */
export interface DiscordTransport {
  readonly mode: 'bot' | 'webhook';
  post(channel: string, body: MessageBody, opts: PostOptions): Promise<{ id: string }>;
  edit(channel: string, messageId: string, body: Pick<MessageBody, 'embeds' | 'components'>): Promise<void>;
  /**
   * The bot's own messages in a channel posted since `sinceMs`, newest first, paging back through at most `max`
   * messages; `complete` is false when that cap ended the walk first. Absent where Discord offers no way to list
   * them (webhooks).
   */
  recent?(
    channel: string,
    sinceMs: number,
    max: number,
  ): Promise<{ messages: RecentMessage[]; complete: boolean }>;
  close(): Promise<void>;
}
