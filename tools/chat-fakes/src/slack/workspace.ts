// The fake Slack workspace's state: channels, users and the messages the bot posted.

export interface SlackChannel {
  id: string;
  name: string;
  /** Whether the bot is in the channel; posting elsewhere fails with not_in_channel. */
  isMember: boolean;
}

export interface SlackUser {
  id: string;
  name: string;
  realName: string;
  isBot: boolean;
}

export interface SlackMessage {
  type: 'message';
  ts: string;
  channel: string;
  text: string;
  user: string;
  bot_id: string;
  app_id: string;
  team: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  thread_ts?: string;
  reply_count?: number;
  latest_reply?: string;
  edited?: { user: string; ts: string };
  [field: string]: unknown;
}

export interface SlackEphemeral {
  channel: string;
  user: string;
  message_ts: string;
  text: string;
  blocks?: unknown[];
}

export class SlackWorkspace {
  readonly teamId = 'T0FAKE0001';
  readonly teamDomain = 'tocsin-test';
  readonly botUserId = 'U0FAKEBOT1';
  readonly botId = 'B0FAKEBOT1';
  readonly appId = 'A0FAKEAPP1';
  readonly channels = new Map<string, SlackChannel>();
  readonly users = new Map<string, SlackUser>();
  readonly ephemerals: SlackEphemeral[] = [];
  private readonly messagesByChannel = new Map<string, SlackMessage[]>();
  private lastTs = 0;
  private nextId = 1;

  constructor(private readonly clock: () => number) {
    this.users.set(this.botUserId, { id: this.botUserId, name: 'tocsin', realName: 'tocsin', isBot: true });
  }

  addChannel(spec: { id?: string; name: string; isMember?: boolean }): SlackChannel {
    const channel = { id: spec.id ?? this.id('C'), name: spec.name, isMember: spec.isMember ?? true };
    this.channels.set(channel.id, channel);
    return channel;
  }

  addUser(spec: { id?: string; name: string; realName?: string }): SlackUser {
    const user = {
      id: spec.id ?? this.id('U'),
      name: spec.name,
      realName: spec.realName ?? spec.name,
      isBot: false,
    };
    this.users.set(user.id, user);
    return user;
  }

  /** Slack accepts a channel id or a name, with or without '#'. */
  findChannel(ref: unknown): SlackChannel | undefined {
    if (typeof ref !== 'string') return undefined;
    const name = ref.replace(/^#/, '');
    return this.channels.get(ref) ?? [...this.channels.values()].find((c) => c.name === name);
  }

  messages(channelId: string): SlackMessage[] {
    return this.messagesByChannel.get(channelId) ?? [];
  }

  message(channelId: string, ts: unknown): SlackMessage | undefined {
    return this.messages(channelId).find((m) => m.ts === ts);
  }

  post(channelId: string, fields: Partial<SlackMessage>): SlackMessage {
    const message: SlackMessage = {
      type: 'message',
      ts: this.ts(),
      channel: channelId,
      text: '',
      user: this.botUserId,
      bot_id: this.botId,
      app_id: this.appId,
      team: this.teamId,
      ...fields,
    };
    const parent = message.thread_ts ? this.message(channelId, message.thread_ts) : undefined;
    if (parent) {
      parent.reply_count = (parent.reply_count ?? 0) + 1;
      parent.latest_reply = message.ts;
      parent.thread_ts = parent.ts;
    }
    const list = this.messagesByChannel.get(channelId) ?? [];
    list.push(message);
    this.messagesByChannel.set(channelId, list);
    return message;
  }

  remove(channelId: string, ts: string): void {
    const list = this.messages(channelId);
    const index = list.findIndex((m) => m.ts === ts);
    if (index >= 0) list.splice(index, 1);
  }

  /** Message timestamps are unique per channel and increasing, like Slack's `seconds.micros`. */
  ts(): string {
    const micros = Math.max(this.clock() * 1000, this.lastTs + 1);
    this.lastTs = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  private id(prefix: string): string {
    return `${prefix}0FAKE${String(this.nextId++).padStart(5, '0')}`;
  }
}
