import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FaultBook } from '../fault-book.ts';
import { BodyParseError, flatHeaders, parseBody, type RecordedFile } from '../http.ts';
import type { RequestLog } from '../request-log.ts';
import { type DiscordFault, faultResponse, type RouteMatcher } from './faults.ts';
import type { InteractionDesk, InteractionRecord } from './interactions.ts';
import { type DiscordMessage, type DiscordUser, errorBody, MessageFlags } from './wire.ts';
import type { DiscordWorld, FakeWebhook } from './world.ts';

/** One REST request the fake received, as tests see it. */
export interface DiscordRequest {
  method: string;
  /** Path after `/api/v10`, without the query string, e.g. '/channels/123/messages'. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON body, or the `payload_json` part of a multipart body. */
  body: unknown;
  files: RecordedFile[];
  /** The status the fake answered with. */
  status: number;
  /** Answered by an injected fault. */
  faulted: boolean;
  /** No route of the fake handles it: it got a 404 that the real Discord might not give. */
  unhandled: boolean;
  /** Taken effect but held unanswered by a `{ hang: true }` fault. */
  held?: boolean;
  at: number;
}

export interface RestContext {
  world: DiscordWorld;
  desk: InteractionDesk;
  log: RequestLog<DiscordRequest>;
  faults: FaultBook<RouteMatcher, { method: string; path: string }, DiscordFault>;
  token: string | undefined;
  gatewayUrl: () => string;
  /** Releases of responses held by `{ hang: true }` faults; the fake releases them when it closes. */
  held: Set<() => void>;
}

const API_PREFIX = /^\/api(?:\/v\d+)?/;

type Body = Record<string, unknown>;

function isBody(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function registerRestRoutes(app: FastifyInstance, ctx: RestContext): void {
  const { world, desk } = ctx;
  const pending = new WeakMap<FastifyRequest, DiscordRequest>();

  app.addHook('preHandler', async (req, reply) => {
    const url = new URL(req.url, 'http://fake.invalid');
    const record: DiscordRequest = {
      method: req.method,
      path: decodePath(url.pathname.replace(API_PREFIX, '')) || '/',
      query: Object.fromEntries(url.searchParams),
      headers: flatHeaders(req.headers),
      body: undefined,
      files: [],
      status: 0,
      faulted: false,
      unhandled: req.is404,
      at: world.clock(),
    };
    pending.set(req, record);
    try {
      const parsed = await parseBody(req.headers['content-type'], req.body);
      record.body = parsed.body;
      record.files = parsed.files;
    } catch (error) {
      if (!(error instanceof BodyParseError)) throw error;
      return reply.code(400).send(errorBody(50109, 'The request body contains invalid JSON.'));
    }
    const needsBotToken = !/^\/(webhooks|interactions)\//.test(record.path);
    if (ctx.token !== undefined && needsBotToken && record.headers.authorization !== `Bot ${ctx.token}`) {
      return reply.code(401).send(errorBody(0, '401: Unauthorized'));
    }
    const fault = ctx.faults.take(record);
    if (fault && 'hang' in fault) {
      record.faulted = true;
      record.held = true;
      return;
    }
    if (fault) {
      record.faulted = true;
      const response = faultResponse(fault, world.clock());
      return reply.code(response.status).headers(response.headers).send(response.body);
    }
  });

  // Recorded once the status is known and before the client sees the response, so waiters see it first.
  app.addHook('onSend', async (req, reply, payload) => {
    const record = pending.get(req);
    if (record) {
      record.status = reply.statusCode;
      ctx.log.push(record);
      if (record.held) await new Promise<void>((resolve) => ctx.held.add(resolve));
    }
    return payload;
  });

  app.setNotFoundHandler((_req, reply) => reply.code(404).send(errorBody(0, '404: Not Found')));

  const body = (req: FastifyRequest): Body => {
    const b = pending.get(req)?.body;
    return isBody(b) ? b : {};
  };
  const rawBody = (req: FastifyRequest): unknown => pending.get(req)?.body;
  const notFound = (reply: FastifyReply, code: number, message: string) =>
    reply.code(404).send(errorBody(code, message));

  const api = '/api/v:version';
  type P<T extends string> = FastifyRequest<{ Params: Record<T, string> }>;

  app.get(`${api}/gateway`, async () => ({ url: ctx.gatewayUrl() }));
  app.get(`${api}/gateway/bot`, async () => ({
    url: ctx.gatewayUrl(),
    shards: 1,
    session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
  }));

  app.get(`${api}/users/@me`, async () => world.botUser);
  const application = () => ({
    id: world.applicationId,
    name: world.botUser.username,
    icon: null,
    description: '',
    bot_public: true,
    bot_require_code_grant: false,
    verify_key: '0'.repeat(64),
    flags: 0,
    owner: world.botUser,
    team: null,
    bot: world.botUser,
  });
  app.get(`${api}/applications/@me`, async () => application());
  app.get(`${api}/oauth2/applications/@me`, async () => application());

  app.get(`${api}/guilds/:guildId`, async (req: P<'guildId'>, reply) => {
    if (!world.guilds.has(req.params.guildId)) return notFound(reply, 10004, 'Unknown Guild');
    return world.guildCreatePayload(req.params.guildId);
  });

  app.get(`${api}/channels/:channelId`, async (req: P<'channelId'>, reply) => {
    return world.channels.get(req.params.channelId) ?? notFound(reply, 10003, 'Unknown Channel');
  });

  app.get(`${api}/channels/:channelId/messages`, async (req: P<'channelId'>, reply) => {
    if (!world.channels.has(req.params.channelId)) return notFound(reply, 10003, 'Unknown Channel');
    // Newest first, as Discord answers; `before`/`after` page by snowflake (ids grow with time).
    const q = pending.get(req)?.query ?? {};
    const limit = Number(q.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return reply.code(400).send({ code: 50035, message: 'Invalid Form Body', errors: { limit: {} } });
    return world.page(req.params.channelId, { limit, before: q.before, after: q.after });
  });

  app.post(`${api}/channels/:channelId/messages`, async (req: P<'channelId'>, reply) => {
    const { channelId } = req.params;
    if (!world.channels.has(channelId)) return notFound(reply, 10003, 'Unknown Channel');
    const b = body(req);
    const files = pending.get(req)?.files ?? [];
    if (isEmptyMessage(b) && files.length === 0) {
      return reply.code(400).send(errorBody(50006, 'Cannot send an empty message'));
    }
    // enforce_nonce: a second create with the same nonce by the same author within minutes returns the first.
    const nonce = typeof b.nonce === 'string' || typeof b.nonce === 'number' ? String(b.nonce) : undefined;
    if (nonce !== undefined && b.enforce_nonce === true) {
      const earlier = world.messageByNonce(channelId, world.botUser.id, nonce);
      if (earlier) return { ...earlier, nonce };
    }
    const message = world.createMessage(channelId, withAttachments(b, files, world.newId), world.botUser);
    if (nonce !== undefined) {
      world.rememberNonce(channelId, world.botUser.id, nonce, message.id);
      return { ...message, nonce };
    }
    return message;
  });

  app.post(`${api}/channels/:channelId/typing`, async (_req, reply) => reply.code(204).send());

  app.get(
    `${api}/channels/:channelId/messages/:messageId`,
    async (req: P<'channelId' | 'messageId'>, reply) => {
      return (
        world.message(req.params.channelId, req.params.messageId) ?? notFound(reply, 10008, 'Unknown Message')
      );
    },
  );

  app.patch(
    `${api}/channels/:channelId/messages/:messageId`,
    async (req: P<'channelId' | 'messageId'>, reply) => {
      const { channelId, messageId } = req.params;
      const existing = world.message(channelId, messageId);
      if (!existing) return notFound(reply, 10008, 'Unknown Message');
      if (existing.author.id !== world.botUser.id) {
        return reply.code(403).send(errorBody(50005, 'Cannot edit a message authored by another user'));
      }
      return world.editMessage(channelId, messageId, body(req));
    },
  );

  app.delete(
    `${api}/channels/:channelId/messages/:messageId`,
    async (req: P<'channelId' | 'messageId'>, reply) => {
      const { channelId, messageId } = req.params;
      if (!world.deleteMessage(channelId, messageId)) return notFound(reply, 10008, 'Unknown Message');
      return reply.code(204).send();
    },
  );

  app.post(`${api}/interactions/:id/:token/callback`, async (req: P<'id' | 'token'>, reply) => {
    const record = desk.get(req.params.token);
    if (!record || record.id !== req.params.id) return notFound(reply, 10062, 'Unknown interaction');
    if (record.acknowledged) {
      return reply.code(400).send(errorBody(40060, 'Interaction has already been acknowledged.'));
    }
    const b = body(req);
    const message = desk.respond(record, { type: Number(b.type), data: isBody(b.data) ? b.data : undefined });
    if (pending.get(req)?.query.with_response !== 'true') return reply.code(204).send();
    return {
      interaction: {
        id: record.id,
        type: record.type,
        activity_instance_id: null,
        response_message_id: message?.id ?? record.originalMessageId ?? null,
        response_message_loading: ((message?.flags ?? 0) & MessageFlags.Loading) !== 0,
        response_message_ephemeral: ((message?.flags ?? 0) & MessageFlags.Ephemeral) !== 0,
      },
      resource: message ? { type: b.type, message } : { type: b.type },
    };
  });

  // `/webhooks/:id/:token` serves both incoming webhooks and interaction follow-ups (id = application id).
  type Target =
    | { kind: 'interaction'; interaction: InteractionRecord; channelId: string }
    | { kind: 'webhook'; hook: FakeWebhook; channelId: string };
  const target = (id: string, token: string): Target | undefined => {
    const interaction = desk.get(token);
    if (interaction && id === world.applicationId && interaction.acknowledged) {
      return { kind: 'interaction', interaction, channelId: interaction.channelId };
    }
    const hook = world.webhooks.get(id);
    return hook && hook.token === token ? { kind: 'webhook', hook, channelId: hook.channelId } : undefined;
  };
  const targetMessage = (t: Target, messageId: string): DiscordMessage | undefined => {
    const id =
      messageId === '@original' && t.kind === 'interaction' ? t.interaction.originalMessageId : messageId;
    const message = id ? world.message(t.channelId, id) : undefined;
    const ownerId = t.kind === 'webhook' ? t.hook.id : world.applicationId;
    return message && (message.webhook_id === ownerId || messageId === '@original') ? message : undefined;
  };

  app.get(`${api}/webhooks/:id/:token`, async (req: P<'id' | 'token'>, reply) => {
    const t = target(req.params.id, req.params.token);
    if (t?.kind !== 'webhook') return notFound(reply, 10015, 'Unknown Webhook');
    return webhookPayload(world, t.hook);
  });

  app.post(`${api}/webhooks/:id/:token`, async (req: P<'id' | 'token'>, reply) => {
    const t = target(req.params.id, req.params.token);
    if (!t) return notFound(reply, 10015, 'Unknown Webhook');
    const b = withAttachments(body(req), pending.get(req)?.files ?? [], world.newId);
    if (isEmptyMessage(b)) return reply.code(400).send(errorBody(50006, 'Cannot send an empty message'));
    const message =
      t.kind === 'webhook'
        ? world.createMessage(t.channelId, b, webhookAuthor(t.hook, b), { webhook_id: t.hook.id })
        : world.createMessage(t.channelId, b, world.botUser, {
            webhook_id: world.applicationId,
            application_id: world.applicationId,
            interaction_metadata: desk.metadata(t.interaction),
          });
    // Incoming webhooks answer 204 unless asked to wait; follow-ups always return the message.
    if (t.kind === 'webhook' && pending.get(req)?.query.wait !== 'true') return reply.code(204).send();
    return message;
  });

  app.get(
    `${api}/webhooks/:id/:token/messages/:messageId`,
    async (req: P<'id' | 'token' | 'messageId'>, reply) => {
      const t = target(req.params.id, req.params.token);
      const message = t && targetMessage(t, req.params.messageId);
      return message ?? notFound(reply, 10008, 'Unknown Message');
    },
  );

  app.patch(
    `${api}/webhooks/:id/:token/messages/:messageId`,
    async (req: P<'id' | 'token' | 'messageId'>, reply) => {
      const t = target(req.params.id, req.params.token);
      if (!t) return notFound(reply, 10015, 'Unknown Webhook');
      const message = targetMessage(t, req.params.messageId);
      if (!message) return notFound(reply, 10008, 'Unknown Message');
      // Editing a deferred reply replaces the "thinking…" placeholder.
      const edit = { ...body(req), flags: message.flags & ~MessageFlags.Loading };
      return world.editMessage(t.channelId, message.id, edit);
    },
  );

  app.delete(
    `${api}/webhooks/:id/:token/messages/:messageId`,
    async (req: P<'id' | 'token' | 'messageId'>, reply) => {
      const t = target(req.params.id, req.params.token);
      const message = t && targetMessage(t, req.params.messageId);
      if (!t || !message) return notFound(reply, 10008, 'Unknown Message');
      world.deleteMessage(t.channelId, message.id);
      return reply.code(204).send();
    },
  );

  const commandRoutes = [
    `${api}/applications/:appId/commands`,
    `${api}/applications/:appId/guilds/:guildId/commands`,
  ];
  for (const route of commandRoutes) {
    app.get(route, async (req: P<'appId' | 'guildId'>, reply) => {
      if (req.params.appId !== world.applicationId) return notFound(reply, 10002, 'Unknown Application');
      const { guildId } = req.params;
      return guildId ? (world.guildCommands.get(guildId) ?? []) : world.globalCommands;
    });
    app.put(route, async (req: P<'appId' | 'guildId'>, reply) => {
      if (req.params.appId !== world.applicationId) return notFound(reply, 10002, 'Unknown Application');
      return world.overwriteCommands(req.params.guildId, rawBody(req));
    });
  }
}

/** discord.js percent-encodes segments (`@original` arrives as `%40original`); tests match decoded paths. */
function decodePath(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join('/');
}

function isEmptyMessage(b: Body): boolean {
  const hasList = (v: unknown) => Array.isArray(v) && v.length > 0;
  return (
    (typeof b.content !== 'string' || b.content === '') &&
    !hasList(b.embeds) &&
    !hasList(b.components) &&
    !hasList(b.attachments) &&
    !hasList(b.sticker_ids) &&
    b.poll === undefined
  );
}

/** Turns uploaded files into the attachment objects Discord would store. */
function withAttachments(b: Body, files: RecordedFile[], newId: () => string): Body {
  if (files.length === 0) return b;
  const attachments = files.map((f) => {
    const id = newId();
    return {
      id,
      filename: f.filename,
      size: f.size,
      content_type: f.contentType,
      url: `https://cdn.discordapp.com/attachments/fake/${id}/${f.filename}`,
      proxy_url: `https://media.discordapp.net/attachments/fake/${id}/${f.filename}`,
    };
  });
  return { ...b, attachments };
}

function webhookAuthor(hook: FakeWebhook, b: Body): DiscordUser {
  return {
    id: hook.id,
    username: typeof b.username === 'string' ? b.username : 'tocsin-webhook',
    discriminator: '0000',
    global_name: null,
    avatar: null,
    bot: true,
  };
}

function webhookPayload(world: DiscordWorld, hook: FakeWebhook) {
  return {
    id: hook.id,
    type: 1,
    token: hook.token,
    name: 'tocsin-webhook',
    avatar: null,
    channel_id: hook.channelId,
    guild_id: world.guildOf(hook.channelId) ?? null,
    application_id: null,
  };
}
