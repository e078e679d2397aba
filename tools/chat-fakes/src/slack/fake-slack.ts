import type { FastifyRequest } from 'fastify';
import { createFaultBook, type FaultHandle } from '../fault-book.ts';
import { createFakeHttpServer, flatHeaders, listen, parseBody } from '../http.ts';
import { createRequestLog } from '../request-log.ts';
import { type Args, JSON_FIELDS, methods, SlackApiError, type SlackResult } from './methods.ts';
import { createSocketModeHub, type SocketModeHub } from './socket-mode.ts';
import {
  type SlackChannel,
  type SlackEphemeral,
  type SlackMessage,
  type SlackUser,
  SlackWorkspace,
} from './workspace.ts';

export interface FakeSlackOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** When set, the only token accepted (others get invalid_auth); any token otherwise. */
  token?: string;
  /** When set, the only app-level token `apps.connections.open` accepts (Socket Mode); any `xapp-…` otherwise. */
  appToken?: string;
  channels?: { id?: string; name: string; isMember?: boolean }[];
  clock?: () => number;
}

/** One Web API call the fake received. */
export interface SlackRequest {
  /** The API method, e.g. 'chat.postMessage'. */
  method: string;
  /** Arguments from the form or JSON body (and query), with blocks/attachments/metadata JSON-decoded. */
  args: Args;
  token: string | undefined;
  headers: Record<string, string>;
  status: number;
  /** The JSON body the fake answered with. */
  response: unknown;
  faulted: boolean;
  /** Not a method the fake implements (answered ok:false, unknown_method). */
  unhandled: boolean;
  at: number;
}

export interface SlackMatcher {
  /** API method name, or a RegExp over it. Any method when omitted. */
  method?: string | RegExp;
  /** Channel id (or name) in the call's `channel` argument. */
  channel?: string;
  /** The call's `thread_ts`: a reply in that thread. */
  threadTs?: string;
}

export type SlackFault = (
  | { status: 429; retryAfterS: number }
  | { status: 500 | 502 | 503 | 504 }
  | { error: string }
  /**
   * The call takes effect (a message is posted) but no answer comes back: the request is held open until the
   * fake closes. Models a crash or timeout between Slack acting and the client hearing about it.
   */
  | { hang: true }
  /** The call is carried out and answered normally, but only after this many milliseconds (a slow Slack). */
  | { delayMs: number }
) & {
  /** How many calls to fail; 1 by default, Infinity for a permanent fault. */
  times?: number;
};

export interface ResponseUrlPost {
  url: string;
  body: unknown;
  at: number;
}

export interface FakeSlack {
  /** For `new WebClient(token, { slackApiUrl: fake.url })`. */
  readonly url: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  addChannel(spec: { id?: string; name: string; isMember?: boolean }): SlackChannel;
  addUser(spec: { id?: string; name: string; realName?: string }): SlackUser;
  /** Messages in a channel, thread replies included, oldest first, as last updated. */
  messages(channel: string): SlackMessage[];
  /** The replies in a thread, oldest first. */
  thread(channel: string, threadTs: string): SlackMessage[];
  ephemerals(): SlackEphemeral[];
  requests(filter?: SlackMatcher): SlackRequest[];
  /** Resolves with the `count`-th call matching the filter, counting calls already received. */
  waitForRequest(filter: SlackMatcher, count?: number): Promise<SlackRequest>;
  unhandledRequests(): SlackRequest[];
  failNext(matcher: SlackMatcher, fault: SlackFault): FaultHandle;
  failAlways(matcher: SlackMatcher, fault: SlackFault): FaultHandle;
  clearFaults(): void;
  /** Socket Mode: the connections apps made and the envelopes sent over them. */
  readonly socketMode: SocketModeHub;
  /** A fresh response_url on the fake; what the service posts to it is recorded. */
  responseUrl(): string;
  responseUrlPosts(url?: string): ResponseUrlPost[];
  close(): Promise<void>;
}

function matches(m: SlackMatcher, req: { method: string; args: Args }, ws: SlackWorkspace): boolean {
  if (
    m.method !== undefined &&
    !(m.method instanceof RegExp ? m.method.test(req.method) : m.method === req.method)
  ) {
    return false;
  }
  if (m.channel !== undefined) {
    const wanted = ws.findChannel(m.channel)?.id ?? m.channel;
    const got = ws.findChannel(req.args.channel)?.id ?? req.args.channel;
    if (wanted !== got) return false;
  }
  if (m.threadTs !== undefined && req.args.thread_ts !== m.threadTs) return false;
  return true;
}

/** Form bodies carry blocks and attachments as JSON strings; decode them so tests see structures. */
function decodeArgs(raw: unknown, query: Record<string, string>): Args {
  const args: Args = { ...query, ...(typeof raw === 'object' && raw !== null ? (raw as Args) : {}) };
  for (const field of JSON_FIELDS) {
    const value = args[field];
    if (typeof value !== 'string') continue;
    try {
      args[field] = JSON.parse(value);
    } catch {
      // Left as a string: the method answers invalid_<field>, as Slack does.
    }
  }
  return args;
}

function tokenOf(req: FastifyRequest, args: Args): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length);
  return typeof args.token === 'string' ? args.token : undefined;
}

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const clock = opts.clock ?? Date.now;
  const ws = new SlackWorkspace(clock);
  for (const channel of opts.channels ?? []) ws.addChannel(channel);
  const log = createRequestLog<SlackRequest>();
  const faults = createFaultBook<SlackMatcher, { method: string; args: Args }, SlackFault>((m, r) =>
    matches(m, r, ws),
  );
  const responsePosts: ResponseUrlPost[] = [];
  const held = new Set<() => void>();
  let responseUrls = 0;

  const app = createFakeHttpServer();
  let port = 0;
  const socketMode = createSocketModeHub({
    appId: ws.appId,
    appToken: opts.appToken,
    url: (path) => `ws://127.0.0.1:${port}${path}`,
    clock,
  });
  app.server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://fake.invalid').pathname === '/link/') {
      socketMode.handleUpgrade(req, socket, head);
    } else {
      socket.destroy();
    }
  });

  const handle = async (req: FastifyRequest<{ Params: { method: string } }>) => {
    const query = Object.fromEntries(new URL(req.url, 'http://fake.invalid').searchParams);
    const parsed = await parseBody(req.headers['content-type'], req.body).catch(() => ({ body: undefined }));
    const args = decodeArgs(parsed.body, query);
    const record: SlackRequest = {
      method: req.params.method,
      args,
      token: tokenOf(req, args),
      headers: flatHeaders(req.headers),
      status: 200,
      response: undefined,
      faulted: false,
      unhandled: false,
      at: clock(),
    };
    let headers: Record<string, string> = {};
    const fault = faults.take(record);
    if (fault && 'hang' in fault) {
      record.faulted = true;
      record.response = call(record);
      log.push(record);
      await new Promise<void>((resolve) => held.add(resolve));
      return { status: 504, headers, body: { ok: false, error: 'fatal_error' } };
    }
    if (fault && 'delayMs' in fault) {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      record.faulted = true;
      record.response = call(record);
    } else if (fault) {
      record.faulted = true;
      if ('error' in fault) {
        record.response = { ok: false, error: fault.error };
      } else {
        record.status = fault.status;
        record.response = { ok: false, error: fault.status === 429 ? 'ratelimited' : 'fatal_error' };
        if (fault.status === 429) headers = { 'retry-after': String(fault.retryAfterS) };
      }
    } else {
      record.response = call(record);
    }
    log.push(record);
    return { status: record.status, headers, body: record.response };
  };

  function call(record: SlackRequest): SlackResult {
    // The one method called with the app-level token rather than the bot token.
    if (record.method === 'apps.connections.open') return socketMode.open(record.token);
    if (!record.token) return { ok: false, error: 'not_authed' };
    if (opts.token !== undefined && record.token !== opts.token) return { ok: false, error: 'invalid_auth' };
    const method = methods[record.method];
    if (!method) {
      record.unhandled = true;
      return { ok: false, error: 'unknown_method' };
    }
    try {
      return method(record.args, ws);
    } catch (error) {
      if (error instanceof SlackApiError) return { ok: false, error: error.error };
      throw error;
    }
  }

  for (const verb of ['GET', 'POST'] as const) {
    app.route<{ Params: { method: string } }>({
      method: verb,
      url: '/api/:method',
      handler: async (req, reply) => {
        const { status, headers, body } = await handle(req);
        return reply.code(status).headers(headers).send(body);
      },
    });
  }

  app.post<{ Params: { id: string } }>('/response-url/:id', async (req) => {
    const parsed = await parseBody(req.headers['content-type'], req.body).catch(() => ({ body: undefined }));
    responsePosts.push({ url: `http://127.0.0.1:${port}${req.url}`, body: parsed.body, at: clock() });
    return { ok: true };
  });

  port = await listen(app, opts.port ?? 0);

  return {
    url: `http://127.0.0.1:${port}/api/`,
    teamId: ws.teamId,
    botUserId: ws.botUserId,
    botId: ws.botId,
    appId: ws.appId,
    addChannel: (spec) => ws.addChannel(spec),
    addUser: (spec) => ws.addUser(spec),
    messages: (channel) => [...ws.messages(ws.findChannel(channel)?.id ?? channel)],
    thread: (channel, threadTs) =>
      ws
        .messages(ws.findChannel(channel)?.id ?? channel)
        .filter((m) => m.thread_ts === threadTs && m.ts !== threadTs),
    ephemerals: () => [...ws.ephemerals],
    requests: (filter) => log.all().filter((r) => !filter || matches(filter, r, ws)),
    waitForRequest: (filter, count) => log.waitFor((r) => matches(filter, r, ws), count),
    unhandledRequests: () => log.all().filter((r) => r.unhandled),
    failNext: (matcher, fault) => faults.add(matcher, fault, fault.times ?? 1),
    failAlways: (matcher, fault) => faults.add(matcher, fault, Number.POSITIVE_INFINITY),
    clearFaults: faults.clear,
    socketMode,
    responseUrl: () => `http://127.0.0.1:${port}/response-url/${++responseUrls}`,
    responseUrlPosts: (url) => responsePosts.filter((p) => !url || p.url === url),
    close: () => {
      socketMode.close();
      for (const release of held) release();
      held.clear();
      return app.close();
    },
  };
}
