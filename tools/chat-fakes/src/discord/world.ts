import {
  ALL_PERMISSIONS,
  channelPayload,
  type DiscordChannel,
  type DiscordMessage,
  type DiscordRole,
  type DiscordUser,
  MessageFlags,
  memberPayload,
  rolePayload,
  userPayload,
} from './wire.ts';

export interface GuildSpec {
  id?: string;
  name?: string;
  /** Text channels (type 0) unless told otherwise. */
  channels?: { id?: string; name: string; type?: number }[];
  /** Roles besides @everyone (whose id is the guild's id). */
  roles?: { id?: string; name: string; permissions?: string }[];
}

export interface FakeGuild {
  id: string;
  name: string;
  channels: { id: string; name: string; type: number }[];
  roles: { id: string; name: string }[];
}

export interface FakeWebhook {
  id: string;
  token: string;
  channelId: string;
  /** A discord.com-style URL: `WebhookClient({ url })` only parses discord.com URLs, see the README. */
  url: string;
}

interface GuildRecord {
  id: string;
  name: string;
  joinedAt: string;
  roles: DiscordRole[];
  channels: DiscordChannel[];
}

export type Dispatch = (event: string, data: Record<string, unknown>) => void;

/** How long Discord checks a nonce for uniqueness ("the past few minutes"). */
export const NONCE_WINDOW_MS = 5 * 60_000;

/** Fields a client may set when creating or editing a message. */
const WRITABLE_MESSAGE_FIELDS = [
  'content',
  'embeds',
  'components',
  'tts',
  'attachments',
  'poll',
  'sticker_ids',
];

/** The fake Discord's state: guilds, channels, stored messages, webhooks and application commands. */
export class DiscordWorld {
  readonly guilds = new Map<string, GuildRecord>();
  readonly channels = new Map<string, DiscordChannel>();
  readonly webhooks = new Map<string, FakeWebhook>();
  readonly globalCommands: Record<string, unknown>[] = [];
  readonly guildCommands = new Map<string, Record<string, unknown>[]>();
  private readonly messagesByChannel = new Map<string, DiscordMessage[]>();
  /** `channel:author:nonce` → message id and when, for `enforce_nonce` (not stored on the message: GET omits it). */
  private readonly nonces = new Map<string, { messageId: string; at: number }>();
  /** Set once the gateway exists; events about the world go out through it. */
  dispatch: Dispatch = () => {};

  constructor(
    readonly botUser: DiscordUser,
    readonly applicationId: string,
    readonly clock: () => number,
    readonly newId: () => string,
    private readonly echoMessages: boolean,
  ) {}

  isoNow(): string {
    return new Date(this.clock()).toISOString();
  }

  addGuild(spec: GuildSpec): FakeGuild {
    const id = spec.id ?? this.newId();
    const guild: GuildRecord = {
      id,
      name: spec.name ?? 'tocsin-test',
      joinedAt: this.isoNow(),
      roles: [rolePayload(id, '@everyone', 0, ALL_PERMISSIONS)],
      channels: [],
    };
    (spec.roles ?? []).forEach((r, i) => {
      guild.roles.push(rolePayload(r.id ?? this.newId(), r.name, i + 1, r.permissions ?? '0'));
    });
    (spec.channels ?? []).forEach((c, i) => {
      const channel = channelPayload(
        { id: c.id ?? this.newId(), name: c.name, type: c.type ?? 0, guildId: id },
        i,
      );
      guild.channels.push(channel);
      this.channels.set(channel.id, channel);
    });
    this.guilds.set(id, guild);
    this.dispatch('GUILD_CREATE', this.guildCreatePayload(id));
    return this.describeGuild(guild);
  }

  listGuilds(): FakeGuild[] {
    return [...this.guilds.values()].map((g) => this.describeGuild(g));
  }

  private describeGuild(g: GuildRecord): FakeGuild {
    return {
      id: g.id,
      name: g.name,
      channels: g.channels.map((c) => ({ id: c.id, name: c.name, type: c.type })),
      roles: g.roles.slice(1).map((r) => ({ id: r.id, name: r.name })),
    };
  }

  /** The full GUILD_CREATE payload; discord.js caches the channels and roles it carries. */
  guildCreatePayload(guildId: string): Record<string, unknown> {
    const g = this.guilds.get(guildId)!;
    return {
      id: g.id,
      name: g.name,
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: this.botUser.id,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: g.roles,
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      joined_at: g.joinedAt,
      large: false,
      unavailable: false,
      member_count: 1,
      members: [memberPayload(this.botUser, [], g.joinedAt)],
      channels: g.channels.map(({ guild_id: _omitted, ...c }) => c),
      threads: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  guildOf(channelId: string): string | undefined {
    return this.channels.get(channelId)?.guild_id;
  }

  createWebhook(channelId: string): FakeWebhook {
    if (!this.channels.has(channelId)) throw new Error(`fake discord: no channel ${channelId}`);
    const id = this.newId();
    // Real webhook tokens are 68 characters of [\w-]; discord.js's URL parser insists on it.
    const token = `fake-webhook-token-${id}`.padEnd(68, 'x').slice(0, 68);
    const webhook = { id, token, channelId, url: `https://discord.com/api/webhooks/${id}/${token}` };
    this.webhooks.set(id, webhook);
    return webhook;
  }

  messages(channelId: string): DiscordMessage[] {
    return this.messagesByChannel.get(channelId) ?? [];
  }

  /** A page of a channel's messages as GET /channels/:id/messages answers: newest first, by snowflake. */
  page(channelId: string, q: { limit: number; before?: string; after?: string }): DiscordMessage[] {
    const id = (v: string | undefined) => (v !== undefined && /^\d{1,20}$/.test(v) ? BigInt(v) : undefined);
    const [before, after] = [id(q.before), id(q.after)];
    let all = this.messages(channelId);
    if (before !== undefined) all = all.filter((m) => BigInt(m.id) < before);
    if (after !== undefined) all = all.filter((m) => BigInt(m.id) > after);
    return (
      after !== undefined && before === undefined ? all.slice(0, q.limit) : all.slice(-q.limit)
    ).reverse();
  }

  message(channelId: string, messageId: string): DiscordMessage | undefined {
    return this.messages(channelId).find((m) => m.id === messageId);
  }

  /** Stores a new message built from a client's request body (or a dispatched user message). */
  createMessage(
    channelId: string,
    body: Record<string, unknown>,
    author: DiscordUser,
    extra: Partial<DiscordMessage> = {},
    { dispatch = this.echoMessages }: { dispatch?: boolean } = {},
  ): DiscordMessage {
    const guildId = this.guildOf(channelId);
    const message: DiscordMessage = {
      id: this.newId(),
      type: 0,
      channel_id: channelId,
      author,
      content: '',
      timestamp: this.isoNow(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      components: [],
      pinned: false,
      flags: typeof body.flags === 'number' ? body.flags : 0,
      ...extra,
    };
    for (const field of WRITABLE_MESSAGE_FIELDS) if (body[field] !== undefined) message[field] = body[field];
    message.mentions = this.mentionsIn(message.content);
    const reference = body.message_reference as DiscordMessage['message_reference'] | undefined;
    if (reference?.message_id) {
      message.type = 19; // Reply
      message.message_reference = { type: 0, channel_id: channelId, ...reference };
      if (guildId) message.message_reference.guild_id = guildId;
      message.referenced_message = this.message(channelId, reference.message_id) ?? null;
    }
    const list = this.messagesByChannel.get(channelId) ?? [];
    list.push(message);
    this.messagesByChannel.set(channelId, list);
    const channel = this.channels.get(channelId);
    if (channel) channel.last_message_id = message.id;
    // Discord echoes every visible message over the gateway, the bot's own included.
    const ephemeral = (message.flags & MessageFlags.Ephemeral) !== 0;
    if (dispatch && !ephemeral) this.dispatch('MESSAGE_CREATE', this.withGuild(message));
    return message;
  }

  /** The message created with this nonce by this author in the last few minutes, if it still exists. */
  messageByNonce(channelId: string, authorId: string, nonce: string): DiscordMessage | undefined {
    const hit = this.nonces.get(`${channelId}:${authorId}:${nonce}`);
    if (!hit || this.clock() - hit.at > NONCE_WINDOW_MS) return undefined;
    return this.message(channelId, hit.messageId);
  }

  rememberNonce(channelId: string, authorId: string, nonce: string, messageId: string): void {
    this.nonces.set(`${channelId}:${authorId}:${nonce}`, { messageId, at: this.clock() });
  }

  editMessage(
    channelId: string,
    messageId: string,
    body: Record<string, unknown>,
  ): DiscordMessage | undefined {
    const message = this.message(channelId, messageId);
    if (!message) return undefined;
    for (const field of WRITABLE_MESSAGE_FIELDS) if (body[field] !== undefined) message[field] = body[field];
    if (typeof body.flags === 'number') message.flags = body.flags;
    message.mentions = this.mentionsIn(message.content);
    message.edited_timestamp = this.isoNow();
    if (this.echoMessages) this.dispatch('MESSAGE_UPDATE', this.withGuild(message));
    return message;
  }

  deleteMessage(channelId: string, messageId: string): boolean {
    const list = this.messages(channelId);
    const index = list.findIndex((m) => m.id === messageId);
    if (index < 0) return false;
    list.splice(index, 1);
    const guildId = this.guildOf(channelId);
    const event = { id: messageId, channel_id: channelId, ...(guildId ? { guild_id: guildId } : {}) };
    if (this.echoMessages) this.dispatch('MESSAGE_DELETE', event);
    return true;
  }

  /** Gateway message events carry guild_id (REST message objects do not). */
  withGuild(message: DiscordMessage): Record<string, unknown> {
    const guildId = this.guildOf(message.channel_id);
    return guildId ? { ...message, guild_id: guildId } : { ...message };
  }

  /** Bulk-overwrites a command list, keeping the id of a command whose name was already registered. */
  overwriteCommands(guildId: string | undefined, body: unknown): Record<string, unknown>[] {
    const list = Array.isArray(body) ? (body as Record<string, unknown>[]) : [];
    const existing = guildId ? (this.guildCommands.get(guildId) ?? []) : this.globalCommands;
    const stored = list.map((command) => ({
      type: 1,
      default_member_permissions: null,
      nsfw: false,
      options: [],
      ...command,
      id: (existing.find((e) => e.name === command.name)?.id as string | undefined) ?? this.newId(),
      application_id: this.applicationId,
      version: this.newId(),
      ...(guildId ? { guild_id: guildId } : {}),
    }));
    if (guildId) this.guildCommands.set(guildId, stored);
    else this.globalCommands.splice(0, this.globalCommands.length, ...stored);
    return stored;
  }

  findCommand(name: string, guildId: string | undefined): Record<string, unknown> | undefined {
    const inGuild = guildId ? this.guildCommands.get(guildId)?.find((c) => c.name === name) : undefined;
    return inGuild ?? this.globalCommands.find((c) => c.name === name);
  }

  private mentionsIn(content: string): DiscordUser[] {
    const ids = new Set([...content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1]!));
    return [...ids].map((id) =>
      id === this.botUser.id ? this.botUser : userPayload({ id, username: `user-${id.slice(-4)}` }),
    );
  }
}
