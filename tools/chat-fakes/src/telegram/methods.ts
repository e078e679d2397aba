import { autoEntities, EntityParseError, parseHtml, type TgEntity } from './html.ts';
import type { InlineButton, TelegramWorld, TgMessage } from './world.ts';

export type Params = Record<string, unknown>;

/** A Bot API error: `{ok: false, error_code, description, parameters?}` with the HTTP status = error_code. */
export class TgApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
  }
}

const bad = (what: string) => new TgApiError(400, `Bad Request: ${what}`);

export const MAX_TEXT = 4096;
const MAX_CALLBACK_DATA = 64;

function chatOf(world: TelegramWorld, p: Params) {
  const id = typeof p.chat_id === 'string' ? Number(p.chat_id) : p.chat_id;
  if (typeof id !== 'number' || !Number.isFinite(id)) throw bad('chat_id is empty');
  const state = world.state(id);
  if (!state) throw bad('chat not found');
  return state;
}

function render(p: Params): { text: string; entities: TgEntity[] } {
  const raw = p.text;
  if (typeof raw !== 'string' || raw.trim() === '') throw bad('message text is empty');
  let parsed: { text: string; entities: TgEntity[] };
  if (p.parse_mode === 'HTML') {
    try {
      parsed = parseHtml(raw);
    } catch (err) {
      if (err instanceof EntityParseError) throw bad(`can't parse entities: ${err.message}`);
      throw err;
    }
  } else if (p.parse_mode === undefined) {
    parsed = { text: raw, entities: autoEntities(raw) };
  } else {
    throw bad(`unsupported parse_mode ${String(p.parse_mode)} (the fake knows HTML only)`);
  }
  if (parsed.text.trim() === '') throw bad('message text is empty');
  if (parsed.text.length > MAX_TEXT) throw bad('message is too long');
  return parsed;
}

function keyboard(p: Params): { inline_keyboard: InlineButton[][] } | undefined {
  const markup = p.reply_markup as { inline_keyboard?: InlineButton[][] } | undefined;
  if (!markup) return undefined;
  if (!Array.isArray(markup.inline_keyboard)) throw bad('field "inline_keyboard" must be an Array');
  for (const row of markup.inline_keyboard) {
    for (const b of row) {
      if (typeof b.text !== 'string' || !b.text) throw bad('BUTTON_TEXT_EMPTY');
      if (b.callback_data !== undefined && Buffer.byteLength(b.callback_data) > MAX_CALLBACK_DATA) {
        throw bad('BUTTON_DATA_INVALID');
      }
      if (b.callback_data === undefined && b.url === undefined) throw bad('BUTTON_TYPE_INVALID');
    }
  }
  return { inline_keyboard: markup.inline_keyboard };
}

function forbidden(state: NonNullable<ReturnType<TelegramWorld['state']>>) {
  if (state.kicked) throw new TgApiError(403, state.kicked);
}

const COMMAND = /^[a-z0-9_]{1,32}$/;

export type Method = (p: Params, world: TelegramWorld) => unknown;

export const methods: Record<string, Method> = {
  getMe: (_p, w) => ({ ...w.bot, can_join_groups: true, can_read_all_group_messages: false }),
  logOut: () => true,
  close: () => true,

  sendMessage(p, w) {
    const state = chatOf(w, p);
    forbidden(state);
    const thread = p.message_thread_id as number | undefined;
    if (thread !== undefined && !state.topics.has(thread)) throw bad('message thread not found');
    const { text, entities } = render(p);
    const reply = (p.reply_parameters as { message_id?: number; allow_sending_without_reply?: boolean }) ?? {
      message_id: p.reply_to_message_id as number | undefined,
      allow_sending_without_reply: p.allow_sending_without_reply as boolean | undefined,
    };
    let replyTo: TgMessage | undefined;
    if (reply.message_id !== undefined) {
      replyTo = w.findMessage(state.chat.id, reply.message_id);
      if (!replyTo && !reply.allow_sending_without_reply) throw bad('message to be replied not found');
    }
    const markup = keyboard(p);
    return w.addMessage(state.chat.id, {
      from: w.bot,
      text,
      ...(entities.length ? { entities } : {}),
      ...(thread !== undefined ? { message_thread_id: thread, is_topic_message: true } : {}),
      ...(replyTo ? { reply_to_message: { ...replyTo, reply_to_message: undefined } } : {}),
      ...(markup ? { reply_markup: markup } : {}),
      sent: { text: p.text as string, ...(p.parse_mode ? { parse_mode: p.parse_mode as string } : {}) },
    });
  },

  editMessageText(p, w) {
    const state = chatOf(w, p);
    forbidden(state);
    const message = w.findMessage(state.chat.id, Number(p.message_id));
    if (!message) throw bad('message to edit not found');
    if (message.from.id !== w.bot.id) throw bad("message can't be edited");
    const { text, entities } = render(p);
    const markup = keyboard(p);
    const same =
      text === message.text &&
      JSON.stringify(entities) === JSON.stringify(message.entities ?? []) &&
      JSON.stringify(markup) === JSON.stringify(message.reply_markup);
    if (same) {
      throw bad(
        'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    message.text = text;
    if (entities.length) message.entities = entities;
    else delete message.entities;
    if (markup) message.reply_markup = markup;
    else delete message.reply_markup;
    message.edit_date = w.now();
    message.sent = {
      text: p.text as string,
      ...(p.parse_mode ? { parse_mode: p.parse_mode as string } : {}),
    };
    return message;
  },

  answerCallbackQuery(p, w) {
    const id = String(p.callback_query_id);
    const resolve = w.pendingCallbacks.get(id);
    if (!resolve) throw bad('query is too old and response timeout expired or query ID is invalid');
    w.pendingCallbacks.delete(id);
    const answer = {
      ...(typeof p.text === 'string' ? { text: p.text } : {}),
      ...(typeof p.show_alert === 'boolean' ? { show_alert: p.show_alert } : {}),
    };
    w.callbackAnswers.push({ id, ...answer, at: w.clock() });
    resolve(answer);
    return true;
  },

  setMyCommands(p, w) {
    const commands = p.commands as { command: string; description: string }[] | undefined;
    if (!Array.isArray(commands)) throw bad('field "commands" must be an Array');
    if (commands.length > 100) throw bad('too many commands');
    for (const c of commands) {
      if (typeof c.command !== 'string' || !COMMAND.test(c.command)) throw bad('BOT_COMMAND_INVALID');
      if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 256) {
        throw bad('BOT_COMMAND_DESCRIPTION_INVALID');
      }
    }
    w.commands.set(
      scopeKey(p),
      commands.map((c) => ({ command: c.command, description: c.description })),
    );
    return true;
  },
  getMyCommands: (p, w) => w.commands.get(scopeKey(p)) ?? [],
  deleteMyCommands(p, w) {
    w.commands.delete(scopeKey(p));
    return true;
  },

  getChat(p, w) {
    const state = chatOf(w, p);
    return state.chat;
  },
  getChatMember(p, w) {
    const state = chatOf(w, p);
    const userId = Number(p.user_id);
    const creator = state.admins[0];
    const admin = state.admins.find((u) => u.id === userId);
    if (admin) return { status: admin === creator ? 'creator' : 'administrator', user: admin };
    if (state.chat.type === 'private' && state.chat.id === userId) {
      return {
        status: 'member',
        user: state.members.get(userId) ?? { id: userId, is_bot: false, first_name: '?' },
      };
    }
    const member = state.members.get(userId);
    if (member) return { status: 'member', user: member };
    if (!Number.isFinite(userId)) throw bad('invalid user_id specified');
    return { status: 'left', user: { id: userId, is_bot: false, first_name: `user ${userId}` } };
  },
  getChatAdministrators(p, w) {
    const state = chatOf(w, p);
    if (state.chat.type === 'private') throw bad('there are no administrators in the private chat');
    return state.admins.map((u, i) => ({ status: i === 0 ? 'creator' : 'administrator', user: u }));
  },
};

export function scopeKey(p: Params): string {
  const scope = (p.scope as { type?: string; chat_id?: unknown; user_id?: unknown } | undefined) ?? {};
  const parts = [scope.type ?? 'default', scope.chat_id ?? '', scope.user_id ?? '', p.language_code ?? ''];
  return parts.join(':').replace(/:+$/, '');
}
