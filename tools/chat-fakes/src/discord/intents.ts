// What Discord withholds from a session given the intents it identified with.

export const Intents = {
  Guilds: 1 << 0,
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const;

const GUILDS_EVENTS = new Set([
  'GUILD_CREATE',
  'GUILD_UPDATE',
  'GUILD_DELETE',
  'GUILD_ROLE_CREATE',
  'GUILD_ROLE_UPDATE',
  'GUILD_ROLE_DELETE',
  'CHANNEL_CREATE',
  'CHANNEL_UPDATE',
  'CHANNEL_DELETE',
]);

const MESSAGE_EVENTS = new Set(['MESSAGE_CREATE', 'MESSAGE_UPDATE', 'MESSAGE_DELETE']);

/**
 * The event as a session with these intents would receive it, or undefined if it would not receive it at all.
 * Without MESSAGE_CONTENT, guild messages arrive with content, embeds, attachments and components emptied,
 * unless the bot wrote them or is mentioned in them.
 */
export function shapeForIntents(
  event: string,
  data: Record<string, unknown>,
  intents: number,
  botUserId: string,
): Record<string, unknown> | undefined {
  if (GUILDS_EVENTS.has(event)) return intents & Intents.Guilds ? data : undefined;
  if (!MESSAGE_EVENTS.has(event)) return data;
  const inGuild = typeof data.guild_id === 'string';
  if (!(intents & (inGuild ? Intents.GuildMessages : Intents.DirectMessages))) return undefined;
  if (intents & Intents.MessageContent || !inGuild || event === 'MESSAGE_DELETE') return data;
  const author = data.author as { id?: string } | undefined;
  const mentions = (data.mentions as { id?: string }[] | undefined) ?? [];
  if (author?.id === botUserId || mentions.some((m) => m.id === botUserId)) return data;
  const { poll: _poll, ...rest } = data;
  return { ...rest, content: '', embeds: [], attachments: [], components: [] };
}
