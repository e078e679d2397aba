import { createFaultBook, type FaultHandle } from '../fault-book.ts';
import { createFakeHttpServer, flatHeaders, listen, parseBody } from '../http.ts';
import { createRequestLog } from '../request-log.ts';
import { methods, type Params, scopeKey, TgApiError } from './methods.ts';
import {
  type ChatSpec,
  TelegramWorld,
  type TgChat,
  type TgMessage,
  type TgUpdate,
  type TgUser,
} from './world.ts';

export interface FakeTelegramOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** When set, the only bot token accepted (others get 401 Unauthorized); any token otherwise. */
  token?: string;
  bot?: Partial<TgUser>;
  chats?: ChatSpec[];
  clock?: () => number;
  /** Longest a getUpdates long poll is held (seconds), whatever `timeout` asks; default 50 as Telegram. */
  maxPollSeconds?: number;
}

/** One Bot API call the fake received. */
export interface TelegramRequest {
  method: string;
  params: Params;
  token: string;
  headers: Record<string, string>;
  /** HTTP status = the error_code of a failed call, 200 otherwise. */
  status: number;
  response: {
    ok: boolean;
    result?: unknown;
    error_code?: number;
    description?: string;
    parameters?: unknown;
  };
  faulted: boolean;
  unhandled: boolean;
  at: number;
}

export interface TelegramMatcher {
  /** Method name, or a RegExp over it. Any when omitted. */
  method?: string | RegExp;
  /** The call's chat_id. */
  chatId?: number;
}

export type TelegramFault = (
  | { status: 429; retryAfterS: number }
  | { status: 500 | 502 | 503 | 504 }
  /** A Bot API error answered as is, e.g. `{ status: 403, description: 'Forbidden: bot was kicked from the group chat' }`. */
  | { status: 400 | 401 | 403 | 404 | 409; description: string }
  /** The call takes effect (the message is created) but no answer comes until the fake closes. */
  | { hang: true }
  /** The call waits for `until` before it takes effect and is answered (the test decides when). */
  | { until: Promise<unknown> }
) & { times?: number };

export interface FakeTelegram {
  /** For grammY's `client.apiRoot` (no trailing slash). */
  readonly url: string;
  readonly bot: TgUser;
  addChat(spec: ChatSpec): TgChat;
  /** A user writes in a chat: the update is queued for getUpdates (or posted to the webhook). */
  sendUserMessage(spec: {
    chatId: number;
    from: TgUser;
    text: string;
    threadId?: number;
    replyTo?: number;
  }): TgUpdate;
  /** A user presses an inline button of a message; `answered` settles with the bot's answerCallbackQuery. */
  pressButton(spec: { chatId: number; messageId: number; from: TgUser; data: string }): {
    id: string;
    update: TgUpdate;
    answered: Promise<{ text?: string; show_alert?: boolean }>;
  };
  /** Messages of a chat (users' and the bot's), oldest first, as last edited; optionally of one topic. */
  messages(chatId: number, threadId?: number): TgMessage[];
  /** The bot's messages in a chat. */
  botMessages(chatId: number, threadId?: number): TgMessage[];
  /** Commands set with setMyCommands for a scope (default scope when omitted). */
  commands(scope?: {
    type: string;
    chat_id?: number;
    user_id?: number;
  }): { command: string; description: string }[];
  callbackAnswers(): { id: string; text?: string; show_alert?: boolean; at: number }[];
  /** Updates not yet confirmed by a getUpdates offset. */
  pendingUpdates(): TgUpdate[];
  /** The bot is removed from (or blocked in) a chat: sends there get 403 from now on. */
  kickBot(chatId: number, description?: string): void;
  /** Set by setWebhook: where the fake posts updates, with the secret header. */
  webhook(): { url: string; secret_token?: string } | null;
  requests(filter?: TelegramMatcher): TelegramRequest[];
  waitForRequest(filter: TelegramMatcher, count?: number): Promise<TelegramRequest>;
  unhandledRequests(): TelegramRequest[];
  failNext(matcher: TelegramMatcher, fault: TelegramFault): FaultHandle;
  failAlways(matcher: TelegramMatcher, fault: TelegramFault): FaultHandle;
  clearFaults(): void;
  close(): Promise<void>;
}

function matches(m: TelegramMatcher, req: { method: string; params: Params }): boolean {
  if (
    m.method !== undefined &&
    !(m.method instanceof RegExp ? m.method.test(req.method) : m.method === req.method)
  ) {
    return false;
  }
  if (m.chatId !== undefined && Number(req.params.chat_id) !== m.chatId) return false;
  return true;
}

/** Query and form values arrive as strings; JSON-valued ones (reply_markup, commands…) are decoded. */
function decodeParams(raw: unknown, query: Record<string, string>): Params {
  const params: Params = { ...query, ...(typeof raw === 'object' && raw !== null ? (raw as Params) : {}) };
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' && /^[[{]/.test(v)) {
      try {
        params[k] = JSON.parse(v);
      } catch {
        // kept as the string
      }
    } else if (typeof v === 'string' && /^-?\d+$/.test(v) && k !== 'text' && k !== 'callback_query_id') {
      params[k] = Number(v);
    }
  }
  return params;
}

/**
 * A fake Telegram Bot API (`/bot<token>/<method>`) for the real grammY client: long polling with offsets,
 * messages with Telegram's HTML parsing and limits, inline keyboards and callback queries, commands, chat
 * members, webhooks, and scripted faults (429 with `parameters.retry_after`, 5xx, 403 bot kicked).
 */
export async function startFakeTelegram(opts: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const clock = opts.clock ?? Date.now;
  const pollers = new Set<{ wake: () => void }>();
  let webhook: { url: string; secret_token?: string } | null = null;
  const deliverWebhook = () => {
    if (!webhook) return;
    const target = webhook;
    const batch = world.updates.splice(0, world.updates.length);
    void (async () => {
      for (const u of batch) {
        const res = await fetch(target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(target.secret_token ? { 'x-telegram-bot-api-secret-token': target.secret_token } : {}),
          },
          body: JSON.stringify(u),
        }).catch(() => null);
        // Telegram keeps an update until the webhook answers 2xx.
        if (!res?.ok) world.updates.unshift(u);
        await res?.body?.cancel().catch(() => undefined);
      }
    })();
  };
  const world = new TelegramWorld(clock, opts.bot, () => {
    for (const p of pollers) p.wake();
    deliverWebhook();
  });
  for (const c of opts.chats ?? []) world.addChat(c);
  const log = createRequestLog<TelegramRequest>();
  const faults = createFaultBook<TelegramMatcher, { method: string; params: Params }, TelegramFault>(matches);
  const held = new Set<() => void>();
  const maxPoll = opts.maxPollSeconds ?? 50;

  async function getUpdates(p: Params, signal: AbortSignal): Promise<unknown> {
    if (webhook) {
      throw new TgApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    // A newer poll ends the one before it, as Telegram does.
    for (const other of [...pollers]) other.wake();
    const offset = typeof p.offset === 'number' ? p.offset : undefined;
    const limit = Math.min(100, Math.max(1, typeof p.limit === 'number' ? p.limit : 100));
    const timeout = Math.min(maxPoll, typeof p.timeout === 'number' ? p.timeout : 0);
    let batch = world.take(offset, limit);
    if (batch.length || timeout <= 0) return batch;
    await new Promise<void>((resolve) => {
      const poller = { wake: () => done() };
      const timer = setTimeout(() => done(), timeout * 1000);
      const done = () => {
        clearTimeout(timer);
        pollers.delete(poller);
        signal.removeEventListener('abort', done);
        resolve();
      };
      pollers.add(poller);
      signal.addEventListener('abort', done);
    });
    batch = world.take(offset, limit);
    return batch;
  }

  function call(method: string, params: Params): unknown {
    if (method === 'setWebhook') {
      if (typeof params.url !== 'string' || !params.url) {
        webhook = null;
        return true;
      }
      webhook = {
        url: params.url,
        ...(typeof params.secret_token === 'string' ? { secret_token: params.secret_token } : {}),
      };
      deliverWebhook();
      return true;
    }
    if (method === 'deleteWebhook') {
      webhook = null;
      if (params.drop_pending_updates === true) world.updates.splice(0, world.updates.length);
      return true;
    }
    if (method === 'getWebhookInfo') {
      return {
        url: webhook?.url ?? '',
        has_custom_certificate: false,
        pending_update_count: world.updates.length,
      };
    }
    const fn = methods[method];
    if (!fn) throw new TgApiError(404, 'Not Found');
    return fn(params, world);
  }

  const app = createFakeHttpServer();
  app.route({
    method: ['GET', 'POST'],
    url: '/*',
    handler: async (req, reply) => {
      const url = new URL(req.url, 'http://fake.invalid');
      const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
      if (!m) return reply.code(404).send({ ok: false, error_code: 404, description: 'Not Found' });
      const token = decodeURIComponent(m[1]!);
      const method = m[2]!;
      const parsed = await parseBody(req.headers['content-type'], req.body).catch(() => ({
        body: undefined,
      }));
      const params = decodeParams(parsed.body, Object.fromEntries(url.searchParams));
      const record: TelegramRequest = {
        method,
        params,
        token,
        headers: flatHeaders(req.headers),
        status: 200,
        response: { ok: true },
        faulted: false,
        unhandled: false,
        at: clock(),
      };
      const abort = new AbortController();
      reply.raw.on('close', () => abort.abort());
      const answer = async () => {
        try {
          if (opts.token !== undefined && token !== opts.token) throw new TgApiError(401, 'Unauthorized');
          const result =
            method === 'getUpdates' ? await getUpdates(params, abort.signal) : call(method, params);
          record.response = { ok: true, result: structuredClone(result) };
        } catch (err) {
          if (!(err instanceof TgApiError)) throw err;
          if (err.code === 404 && !methods[method]) record.unhandled = true;
          record.status = err.code;
          record.response = {
            ok: false,
            error_code: err.code,
            description: err.description,
            ...(err.parameters ? { parameters: err.parameters } : {}),
          };
        }
      };
      const fault = faults.take({ method, params });
      if (fault) record.faulted = true;
      if (fault && 'hang' in fault) {
        await answer();
        log.push(record);
        await new Promise<void>((resolve) => held.add(resolve));
        return reply.code(504).send({ ok: false, error_code: 504, description: 'Gateway Timeout' });
      }
      if (fault && 'until' in fault) {
        log.push(record);
        await fault.until;
        await answer();
      } else if (fault && 'retryAfterS' in fault) {
        record.status = 429;
        record.response = {
          ok: false,
          error_code: 429,
          description: `Too Many Requests: retry after ${fault.retryAfterS}`,
          parameters: { retry_after: fault.retryAfterS },
        };
      } else if (fault && 'status' in fault) {
        record.status = fault.status;
        record.response = {
          ok: false,
          error_code: fault.status,
          description: 'description' in fault ? fault.description : 'Internal Server Error',
        };
      } else {
        await answer();
      }
      if (!(fault && 'until' in fault)) log.push(record);
      return reply.code(record.status).send(record.response);
    },
  });

  const port = await listen(app, opts.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}`,
    bot: world.bot,
    addChat: (spec) => world.addChat(spec),
    sendUserMessage: (spec) => world.userMessage(spec),
    pressButton: (spec) => world.callback(spec),
    messages: (chatId, threadId) =>
      (world.state(chatId)?.messages ?? []).filter(
        (m) => threadId === undefined || m.message_thread_id === threadId,
      ),
    botMessages: (chatId, threadId) =>
      (world.state(chatId)?.messages ?? []).filter(
        (m) => m.from.id === world.bot.id && (threadId === undefined || m.message_thread_id === threadId),
      ),
    commands: (scope) => world.commands.get(scopeKey(scope ? { scope } : {})) ?? [],
    callbackAnswers: () => [...world.callbackAnswers],
    pendingUpdates: () => [...world.updates],
    kickBot(chatId, description) {
      const state = world.state(chatId);
      if (!state) throw new Error(`no chat ${chatId} in the fake`);
      state.kicked =
        description ??
        (state.chat.type === 'private'
          ? 'Forbidden: bot was blocked by the user'
          : `Forbidden: bot was kicked from the ${state.chat.type === 'supergroup' ? 'supergroup ' : 'group '}chat`);
    },
    webhook: () => webhook,
    requests: (filter) => log.all().filter((r) => !filter || matches(filter, r)),
    waitForRequest: (filter, count) => log.waitFor((r) => matches(filter, r), count),
    unhandledRequests: () => log.all().filter((r) => r.unhandled),
    failNext: (matcher, fault) => faults.add(matcher, fault, fault.times ?? 1),
    failAlways: (matcher, fault) => faults.add(matcher, fault, Number.POSITIVE_INFINITY),
    clearFaults: faults.clear,
    close: () => {
      for (const p of [...pollers]) p.wake();
      for (const release of held) release();
      held.clear();
      return app.close();
    },
  };
}
