import type { SlackChannel, SlackMessage, SlackWorkspace } from './workspace.ts';

export type Args = Record<string, unknown>;
export type SlackResult = { ok: true; [field: string]: unknown } | { ok: false; error: string };

/** An `ok: false` answer; Slack sends these with HTTP 200. */
export class SlackApiError extends Error {
  constructor(readonly error: string) {
    super(error);
  }
}

/** Fields that the SDK form-encodes as JSON strings. */
export const JSON_FIELDS = ['blocks', 'attachments', 'metadata'];

function channelFor(ws: SlackWorkspace, args: Args): SlackChannel {
  const channel = ws.findChannel(args.channel);
  if (!channel) throw new SlackApiError('channel_not_found');
  if (!channel.isMember) throw new SlackApiError('not_in_channel');
  return channel;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : value === undefined ? undefined : String(value);
}

function content(args: Args): Partial<SlackMessage> {
  const out: Partial<SlackMessage> = {};
  if (args.text !== undefined) out.text = String(args.text);
  for (const field of JSON_FIELDS) {
    if (args[field] === undefined) continue;
    if (typeof args[field] === 'string') throw new SlackApiError(`invalid_${field}`);
    out[field] = args[field];
  }
  return out;
}

/** What the API returns as `message`: the stored message without the fake's channel bookkeeping. */
function wire(message: SlackMessage): Omit<SlackMessage, 'channel'> {
  const { channel: _channel, ...rest } = message;
  return rest;
}

/** Slack returns message metadata only to callers that ask for it with `include_all_metadata`. */
function visible(message: SlackMessage, args: Args): Omit<SlackMessage, 'channel'> {
  const out = wire(message);
  if (String(args.include_all_metadata) !== 'true') delete out.metadata;
  return out;
}

/** `oldest`/`latest` bound the window (exclusive unless `inclusive`), as Slack's history methods do. */
function inRange(ts: string, args: Args): boolean {
  const inclusive = String(args.inclusive) === 'true';
  const t = Number(ts);
  if (args.oldest !== undefined && (inclusive ? t < Number(args.oldest) : t <= Number(args.oldest)))
    return false;
  if (args.latest !== undefined && (inclusive ? t > Number(args.latest) : t >= Number(args.latest)))
    return false;
  return true;
}

/** Cursor paging: `limit` (default 100, at most 999 like Slack) and an opaque `cursor` that is the offset. */
function paginate<T>(items: T[], args: Args): { page: T[]; next: string | undefined } {
  const limit = Math.min(999, Math.max(1, Number(args.limit ?? 100) || 100));
  const start = args.cursor
    ? Number(Buffer.from(String(args.cursor), 'base64').toString('utf8').slice(7)) || 0
    : 0;
  const end = start + limit;
  const next = end < items.length ? Buffer.from(`offset:${end}`).toString('base64') : undefined;
  return { page: items.slice(start, end), next };
}

export const methods: Record<string, (args: Args, ws: SlackWorkspace) => SlackResult> = {
  'auth.test': (_args, ws) => ({
    ok: true,
    url: `https://${ws.teamDomain}.slack.com/`,
    team: ws.teamDomain,
    user: 'tocsin',
    team_id: ws.teamId,
    user_id: ws.botUserId,
    bot_id: ws.botId,
    is_enterprise_install: false,
  }),

  'chat.postMessage': (args, ws) => {
    const channel = channelFor(ws, args);
    const fields = content(args);
    if (!fields.text && !fields.blocks && !fields.attachments) throw new SlackApiError('no_text');
    const threadTs = str(args.thread_ts);
    if (threadTs) fields.thread_ts = threadTs;
    if (args.reply_broadcast !== undefined) fields.reply_broadcast = String(args.reply_broadcast) === 'true';
    const message = ws.post(channel.id, fields);
    return { ok: true, channel: channel.id, ts: message.ts, message: wire(message) };
  },

  'chat.update': (args, ws) => {
    const channel = channelFor(ws, args);
    const message = ws.message(channel.id, args.ts);
    if (!message) throw new SlackApiError('message_not_found');
    if (message.user !== ws.botUserId) throw new SlackApiError('cant_update_message');
    Object.assign(message, content(args), { edited: { user: ws.botUserId, ts: ws.ts() } });
    return { ok: true, channel: channel.id, ts: message.ts, text: message.text, message: wire(message) };
  },

  'chat.delete': (args, ws) => {
    const channel = channelFor(ws, args);
    const message = ws.message(channel.id, args.ts);
    if (!message) throw new SlackApiError('message_not_found');
    ws.remove(channel.id, message.ts);
    return { ok: true, channel: channel.id, ts: message.ts };
  },

  'chat.postEphemeral': (args, ws) => {
    const channel = channelFor(ws, args);
    const user = str(args.user);
    if (!user) throw new SlackApiError('user_not_found');
    const fields = content(args);
    const messageTs = ws.ts();
    ws.ephemerals.push({
      channel: channel.id,
      user,
      message_ts: messageTs,
      text: fields.text ?? '',
      ...(fields.blocks ? { blocks: fields.blocks } : {}),
    });
    return { ok: true, message_ts: messageTs };
  },

  'conversations.info': (args, ws) => {
    const channel = ws.findChannel(args.channel);
    if (!channel) throw new SlackApiError('channel_not_found');
    return {
      ok: true,
      channel: {
        id: channel.id,
        name: channel.name,
        is_channel: true,
        is_group: false,
        is_im: false,
        is_private: false,
        is_archived: false,
        is_general: false,
        is_member: channel.isMember,
        context_team_id: ws.teamId,
      },
    };
  },

  'conversations.history': (args, ws) => {
    const channel = channelFor(ws, args);
    // Top-level messages only (thread replies live in conversations.replies), newest first, like Slack.
    const inWindow = ws
      .messages(channel.id)
      .filter((m) => !m.thread_ts || m.thread_ts === m.ts || m.reply_broadcast)
      .filter((m) => inRange(m.ts, args))
      .reverse();
    const { page, next } = paginate(inWindow, args);
    return {
      ok: true,
      messages: page.map((m) => visible(m, args)),
      has_more: next !== undefined,
      pin_count: 0,
      response_metadata: { next_cursor: next ?? '' },
    };
  },

  'conversations.replies': (args, ws) => {
    const channel = channelFor(ws, args);
    const parent = ws.message(channel.id, args.ts);
    if (!parent) throw new SlackApiError('thread_not_found');
    const replies = ws.messages(channel.id).filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
    // The parent always comes first; the window and paging apply to the replies, oldest first.
    const { page, next } = paginate(
      replies.filter((m) => inRange(m.ts, args)),
      args,
    );
    return {
      ok: true,
      messages: [parent, ...page].map((m) => visible(m, args)),
      has_more: next !== undefined,
      response_metadata: { next_cursor: next ?? '' },
    };
  },

  'users.info': (args, ws) => {
    const user = ws.users.get(String(args.user));
    if (!user) throw new SlackApiError('user_not_found');
    return {
      ok: true,
      user: {
        id: user.id,
        team_id: ws.teamId,
        name: user.name,
        real_name: user.realName,
        deleted: false,
        is_bot: user.isBot,
        tz: 'Etc/UTC',
        profile: { real_name: user.realName, display_name: user.name },
      },
    };
  },
};
