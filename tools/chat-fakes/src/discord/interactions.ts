import {
  ALL_PERMISSIONS,
  type DiscordMessage,
  type DiscordUser,
  InteractionCallbackType,
  InteractionType,
  MessageFlags,
  memberPayload,
  userPayload,
} from './wire.ts';
import type { DiscordWorld } from './world.ts';

export interface UserSpec {
  id: string;
  username: string;
  global_name?: string | null;
}

export interface MemberSpec {
  roles?: string[];
  /** Permission bits as a decimal string; defaults to every permission. */
  permissions?: string;
}

/** A raw option (`{ name, type, value }`, subcommands with nested options), or a name → value record. */
export type CommandOptions =
  | { name: string; type: number; value?: unknown; options?: unknown[]; focused?: boolean }[]
  | Record<string, string | number | boolean>;

interface InteractionBase {
  channelId: string;
  user: UserSpec;
  /** Guild member data; ignored for channels outside a guild. */
  member?: MemberSpec;
}

export type InteractionSpec =
  | (InteractionBase & { type: 'command'; name: string; options?: CommandOptions })
  | (InteractionBase & { type: 'autocomplete'; name: string; options?: CommandOptions; focused: string })
  | (InteractionBase & { type: 'button'; messageId: string; customId: string });

/** A response the bot sent for an interaction, as received on the callback route. */
export interface InteractionResponse {
  interactionId: string;
  token: string;
  /** Discord's callback type: 4 reply, 5 defer reply, 6 defer update, 7 update, 8 autocomplete, 9 modal. */
  type: number;
  data: Record<string, unknown> | undefined;
  at: number;
}

export interface DispatchedInteraction {
  id: string;
  token: string;
  /** The payload sent as INTERACTION_CREATE. */
  payload: Record<string, unknown>;
  /** Settles with the bot's first callback for this interaction. */
  response: Promise<InteractionResponse>;
}

export interface InteractionRecord {
  id: string;
  token: string;
  type: number;
  channelId: string;
  guildId: string | undefined;
  user: DiscordUser;
  /** The message a component sat on. */
  messageId: string | undefined;
  /** The message the response created or updated; the target of `@original`. */
  originalMessageId: string | undefined;
  acknowledged: boolean;
  owners: Record<string, string>;
  resolve: (response: InteractionResponse) => void;
}

const OPTION_TYPE = { string: 3, integer: 4, boolean: 5, number: 10 } as const;

function normaliseOptions(options: CommandOptions | undefined, focused?: string) {
  if (!options) return [];
  const list = Array.isArray(options)
    ? options
    : Object.entries(options).map(([name, value]) => ({
        name,
        value,
        type:
          typeof value === 'boolean'
            ? OPTION_TYPE.boolean
            : typeof value === 'number'
              ? Number.isInteger(value)
                ? OPTION_TYPE.integer
                : OPTION_TYPE.number
              : OPTION_TYPE.string,
      }));
  return list.map((o) => (o.name === focused ? { ...o, focused: true } : o));
}

export class InteractionDesk {
  private readonly byToken = new Map<string, InteractionRecord>();
  readonly responses: InteractionResponse[] = [];

  constructor(private readonly world: DiscordWorld) {}

  get(token: string): InteractionRecord | undefined {
    return this.byToken.get(token);
  }

  /** Builds the INTERACTION_CREATE payload for a spec and remembers it for the callback routes. */
  create(spec: InteractionSpec): DispatchedInteraction {
    const w = this.world;
    const channel = w.channels.get(spec.channelId);
    if (!channel) throw new Error(`fake discord: no channel ${spec.channelId}; add it with addGuild first`);
    const guildId = channel.guild_id;
    const id = w.newId();
    const token = `fake-interaction-token-${id}-${'t'.repeat(120)}`;
    const user = userPayload(spec.user);
    const type =
      spec.type === 'command'
        ? InteractionType.ApplicationCommand
        : spec.type === 'autocomplete'
          ? InteractionType.Autocomplete
          : InteractionType.MessageComponent;

    let data: Record<string, unknown>;
    let message: DiscordMessage | undefined;
    if (spec.type === 'button') {
      message = w.message(spec.channelId, spec.messageId);
      if (!message)
        throw new Error(`fake discord: no message ${spec.messageId} in channel ${spec.channelId}`);
      data = { custom_id: spec.customId, component_type: 2 };
    } else {
      const command = w.findCommand(spec.name, guildId);
      data = {
        id: (command?.id as string | undefined) ?? w.newId(),
        name: spec.name,
        type: 1,
        options: normaliseOptions(spec.options, spec.type === 'autocomplete' ? spec.focused : undefined),
      };
      if (guildId) data.guild_id = guildId;
    }

    const owners: Record<string, string> = guildId ? { '0': guildId } : { '1': user.id };
    const payload: Record<string, unknown> = {
      id,
      application_id: w.applicationId,
      type,
      data,
      token,
      version: 1,
      channel: { ...channel },
      channel_id: spec.channelId,
      app_permissions: ALL_PERMISSIONS,
      locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: owners,
      context: guildId ? 0 : 1,
      attachment_size_limit: 8 * 1024 * 1024,
    };
    if (guildId) {
      payload.guild_id = guildId;
      payload.guild_locale = 'en-US';
      payload.member = {
        ...memberPayload(user, spec.member?.roles ?? [], w.isoNow()),
        permissions: spec.member?.permissions ?? ALL_PERMISSIONS,
      };
    } else {
      payload.user = user;
    }
    if (message) payload.message = message;

    let resolve!: (r: InteractionResponse) => void;
    const response = new Promise<InteractionResponse>((r) => {
      resolve = r;
    });
    this.byToken.set(token, {
      id,
      token,
      type,
      channelId: spec.channelId,
      guildId,
      user,
      messageId: message?.id,
      originalMessageId: undefined,
      acknowledged: false,
      owners,
      resolve,
    });
    return { id, token, payload, response };
  }

  /** The `interaction_metadata` of messages an interaction produced; discord.js requires the owners map. */
  metadata(record: InteractionRecord): NonNullable<DiscordMessage['interaction_metadata']> {
    const meta: NonNullable<DiscordMessage['interaction_metadata']> = {
      id: record.id,
      type: record.type,
      user: record.user,
      authorizing_integration_owners: record.owners,
    };
    if (record.originalMessageId) meta.original_response_message_id = record.originalMessageId;
    if (record.messageId) meta.interacted_message_id = record.messageId;
    return meta;
  }

  /**
   * Applies a callback the way Discord would: a reply or deferral creates the original response message, an
   * update edits the component's message. Returns the message the callback produced, if any.
   */
  respond(record: InteractionRecord, body: { type?: number; data?: Record<string, unknown> }) {
    const w = this.world;
    const type = body.type ?? 0;
    const data = body.data;
    let message: DiscordMessage | undefined;
    if (
      type === InteractionCallbackType.ChannelMessageWithSource ||
      type === InteractionCallbackType.DeferredChannelMessageWithSource
    ) {
      const flags =
        (typeof data?.flags === 'number' ? data.flags : 0) |
        (type === InteractionCallbackType.DeferredChannelMessageWithSource ? MessageFlags.Loading : 0);
      message = w.createMessage(record.channelId, { ...data, flags }, w.botUser, {
        type: record.type === InteractionType.ApplicationCommand ? 20 : 0,
        webhook_id: w.applicationId,
        application_id: w.applicationId,
        interaction_metadata: this.metadata(record),
      });
      record.originalMessageId = message.id;
    } else if (type === InteractionCallbackType.UpdateMessage && record.messageId) {
      message = w.editMessage(record.channelId, record.messageId, data ?? {});
      record.originalMessageId = record.messageId;
    } else if (type === InteractionCallbackType.DeferredUpdateMessage) {
      record.originalMessageId = record.messageId;
    }
    record.acknowledged = true;
    const response: InteractionResponse = {
      interactionId: record.id,
      token: record.token,
      type,
      data,
      at: w.clock(),
    };
    this.responses.push(response);
    record.resolve(response);
    return message;
  }
}
