// Discord's own JSON shapes (snake_case), trimmed to what discord.js 14 reads. Built here, nowhere else.

export const ChannelType = {
  GuildText: 0,
  DM: 1,
  GuildVoice: 2,
  GuildCategory: 4,
  GuildAnnouncement: 5,
} as const;

export const InteractionType = { ApplicationCommand: 2, MessageComponent: 3, Autocomplete: 4 } as const;

export const InteractionCallbackType = {
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  DeferredUpdateMessage: 6,
  UpdateMessage: 7,
  ApplicationCommandAutocompleteResult: 8,
  Modal: 9,
} as const;

/** Every permission bit a bot could have; what the fake grants its bot and interaction members. */
export const ALL_PERMISSIONS = ((1n << 51n) - 1n).toString();

export const MessageFlags = { Ephemeral: 1 << 6, Loading: 1 << 7 } as const;

export interface DiscordUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
  flags?: number;
}

export interface DiscordRole {
  id: string;
  name: string;
  color: number;
  hoist: boolean;
  icon: null;
  unicode_emoji: null;
  position: number;
  permissions: string;
  managed: boolean;
  mentionable: boolean;
  flags: number;
}

export interface DiscordChannel {
  id: string;
  type: number;
  name: string;
  guild_id?: string;
  position: number;
  permission_overwrites: unknown[];
  parent_id: string | null;
  topic: string | null;
  nsfw: boolean;
  last_message_id: string | null;
  rate_limit_per_user: number;
}

export interface DiscordMember {
  user?: DiscordUser;
  nick: string | null;
  avatar: null;
  roles: string[];
  joined_at: string;
  premium_since: null;
  deaf: boolean;
  mute: boolean;
  flags: number;
  pending: boolean;
  communication_disabled_until: null;
  permissions?: string;
}

/** A message as the fake stores and returns it. Fields the fake does not model are passed through. */
export interface DiscordMessage {
  id: string;
  type: number;
  channel_id: string;
  guild_id?: string;
  author: DiscordUser;
  member?: DiscordMember;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: DiscordUser[];
  mention_roles: string[];
  attachments: unknown[];
  embeds: unknown[];
  components: unknown[];
  pinned: boolean;
  flags: number;
  webhook_id?: string;
  application_id?: string;
  message_reference?: { message_id?: string; channel_id?: string; guild_id?: string; type?: number };
  referenced_message?: DiscordMessage | null;
  interaction_metadata?: {
    id: string;
    type: number;
    user: DiscordUser;
    authorizing_integration_owners: Record<string, string>;
    original_response_message_id?: string;
    interacted_message_id?: string;
  };
  [extra: string]: unknown;
}

export function userPayload(user: {
  id: string;
  username: string;
  bot?: boolean;
  global_name?: string | null;
}) {
  const out: DiscordUser = {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.global_name ?? null,
    avatar: null,
  };
  if (user.bot) out.bot = true;
  return out;
}

export function memberPayload(
  user: DiscordUser | undefined,
  roles: string[],
  joinedAt: string,
): DiscordMember {
  const member: DiscordMember = {
    nick: null,
    avatar: null,
    roles,
    joined_at: joinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
  };
  if (user) member.user = user;
  return member;
}

export function rolePayload(id: string, name: string, position: number, permissions: string): DiscordRole {
  return {
    id,
    name,
    color: 0,
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions,
    managed: false,
    mentionable: false,
    flags: 0,
  };
}

export function channelPayload(
  c: { id: string; name: string; type: number; guildId?: string },
  position: number,
) {
  const out: DiscordChannel = {
    id: c.id,
    type: c.type,
    name: c.name,
    position,
    permission_overwrites: [],
    parent_id: null,
    topic: null,
    nsfw: false,
    last_message_id: null,
    rate_limit_per_user: 0,
  };
  if (c.guildId) out.guild_id = c.guildId;
  return out;
}

export function errorBody(code: number, message: string) {
  return { message, code };
}
