import { autoEntities, type TgEntity } from './html.ts';

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}

export type ChatType = 'private' | 'group' | 'supergroup' | 'channel';

export interface TgChat {
  id: number;
  type: ChatType;
  title?: string;
  is_forum?: boolean;
}

export interface InlineButton {
  text: string;
  callback_data?: string;
  url?: string;
}

/** A message as stored by the fake (its latest state) and returned by the Bot API. */
export interface TgMessage {
  message_id: number;
  chat: TgChat;
  from: TgUser;
  date: number;
  edit_date?: number;
  text: string;
  entities?: TgEntity[];
  message_thread_id?: number;
  is_topic_message?: boolean;
  reply_to_message?: TgMessage;
  reply_markup?: { inline_keyboard: InlineButton[][] };
  /** Not part of the Bot API: the raw text and parse mode the bot sent, for tests. */
  sent?: { text: string; parse_mode?: string };
}

export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  callback_query?: {
    id: string;
    from: TgUser;
    message: TgMessage;
    chat_instance: string;
    data: string;
  };
}

export interface ChatSpec {
  id: number;
  type?: ChatType;
  title?: string;
  is_forum?: boolean;
  /** Forum topics (message_thread_id) that exist in the chat. */
  topics?: number[];
  /** Users who are administrators (the first one is the creator). */
  admins?: TgUser[];
  members?: TgUser[];
}

interface ChatState {
  chat: TgChat;
  topics: Set<number>;
  admins: TgUser[];
  members: Map<number, TgUser>;
  messages: TgMessage[];
  /** Set when the bot was removed or blocked: sends get 403 with this description. */
  kicked?: string;
}

/** The fake's world: chats, their members and messages, the update queue and the bot's commands. */
export class TelegramWorld {
  readonly bot: TgUser;
  readonly chats = new Map<number, ChatState>();
  readonly updates: TgUpdate[] = [];
  readonly commands = new Map<string, { command: string; description: string }[]>();
  readonly callbackAnswers: { id: string; text?: string; show_alert?: boolean; at: number }[] = [];
  readonly pendingCallbacks = new Map<string, (a: { text?: string; show_alert?: boolean }) => void>();
  #nextUpdate = 1;
  #nextMessage = 1;
  #nextCallback = 1;

  constructor(
    readonly clock: () => number,
    bot: Partial<TgUser> = {},
    readonly onUpdate: () => void = () => undefined,
  ) {
    this.bot = { id: 7_000_000_001, is_bot: true, first_name: 'tocsin', username: 'tocsin_test_bot', ...bot };
  }

  addChat(spec: ChatSpec): TgChat {
    const type = spec.type ?? (spec.id > 0 ? 'private' : 'supergroup');
    const chat: TgChat = {
      id: spec.id,
      type,
      ...(type !== 'private' ? { title: spec.title ?? `chat ${spec.id}` } : {}),
      ...(spec.is_forum ? { is_forum: true } : {}),
    };
    const members = new Map<number, TgUser>();
    for (const u of [...(spec.admins ?? []), ...(spec.members ?? [])]) members.set(u.id, u);
    this.chats.set(spec.id, {
      chat,
      topics: new Set(spec.topics ?? []),
      admins: spec.admins ?? [],
      members,
      messages: [],
    });
    return chat;
  }

  state(chatId: number): ChatState | undefined {
    return this.chats.get(chatId);
  }

  now(): number {
    return Math.floor(this.clock() / 1000);
  }

  addMessage(chatId: number, m: Omit<TgMessage, 'message_id' | 'chat' | 'date'>): TgMessage {
    const state = this.chats.get(chatId);
    if (!state) throw new Error(`no chat ${chatId} in the fake`);
    const message: TgMessage = { message_id: this.#nextMessage++, chat: state.chat, date: this.now(), ...m };
    state.messages.push(message);
    return message;
  }

  findMessage(chatId: number, messageId: number): TgMessage | undefined {
    return this.chats.get(chatId)?.messages.find((m) => m.message_id === messageId);
  }

  push(update: Omit<TgUpdate, 'update_id'>): TgUpdate {
    const u = { update_id: this.#nextUpdate++, ...update };
    this.updates.push(u);
    this.onUpdate();
    return u;
  }

  /** Drops updates below `offset` (confirmed) and returns up to `limit` of the rest. */
  take(offset: number | undefined, limit: number): TgUpdate[] {
    if (offset !== undefined && offset > 0) {
      while (this.updates.length && this.updates[0]!.update_id < offset) this.updates.shift();
    }
    return this.updates.slice(0, limit);
  }

  userMessage(spec: { chatId: number; from: TgUser; text: string; threadId?: number; replyTo?: number }) {
    const state = this.chats.get(spec.chatId);
    if (!state) throw new Error(`no chat ${spec.chatId} in the fake`);
    state.members.set(spec.from.id, spec.from);
    const entities = autoEntities(spec.text);
    const replyTo = spec.replyTo === undefined ? undefined : this.findMessage(spec.chatId, spec.replyTo);
    const message = this.addMessage(spec.chatId, {
      from: spec.from,
      text: spec.text,
      ...(entities.length ? { entities } : {}),
      ...(spec.threadId !== undefined ? { message_thread_id: spec.threadId, is_topic_message: true } : {}),
      ...(replyTo ? { reply_to_message: replyTo } : {}),
    });
    return this.push({ message });
  }

  callback(spec: { chatId: number; messageId: number; from: TgUser; data: string }) {
    const message = this.findMessage(spec.chatId, spec.messageId);
    if (!message) throw new Error(`no message ${spec.messageId} in chat ${spec.chatId}`);
    const buttons = message.reply_markup?.inline_keyboard.flat() ?? [];
    if (!buttons.some((b) => b.callback_data === spec.data)) {
      throw new Error(
        `message ${spec.messageId} has no button with callback_data "${spec.data}" (it has ${JSON.stringify(buttons)})`,
      );
    }
    const id = String(BigInt(spec.from.id) * 1000n + BigInt(this.#nextCallback++));
    const answered = new Promise<{ text?: string; show_alert?: boolean }>((resolve) =>
      this.pendingCallbacks.set(id, resolve),
    );
    const update = this.push({
      callback_query: {
        id,
        from: spec.from,
        message: structuredClone(message),
        chat_instance: String(-spec.chatId),
        data: spec.data,
      },
    });
    return { id, update, answered };
  }
}
