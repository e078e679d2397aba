import { createFaultBook, type FaultHandle } from '../fault-book.ts';
import { createFakeHttpServer, listen } from '../http.ts';
import { createRequestLog } from '../request-log.ts';
import { type DiscordFault, type RouteMatcher, routeMatches } from './faults.ts';
import { createGateway, type GatewayPayload } from './gateway.ts';
import {
  type DispatchedInteraction,
  InteractionDesk,
  type InteractionResponse,
  type InteractionSpec,
  type MemberSpec,
  type UserSpec,
} from './interactions.ts';
import { type DiscordRequest, registerRestRoutes } from './rest.ts';
import { createSnowflakes } from './snowflake.ts';
import { type DiscordMessage, type DiscordUser, memberPayload, userPayload } from './wire.ts';
import { DiscordWorld, type FakeGuild, type FakeWebhook, type GuildSpec } from './world.ts';

export interface FakeDiscordOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** When set, the bot token every authenticated request and IDENTIFY must carry; any token otherwise. */
  token?: string;
  /** Guilds the bot is in from the start; they arrive as GUILD_CREATE right after READY. */
  guilds?: GuildSpec[];
  bot?: { id?: string; username?: string };
  applicationId?: string;
  /** The gateway's heartbeat_interval. discord.js waits a random fraction of it before the first beat. */
  heartbeatIntervalMs?: number;
  /** Dispatch MESSAGE_CREATE/UPDATE/DELETE for messages written through REST, as Discord does. Default true. */
  echoMessages?: boolean;
  clock?: () => number;
}

export type RequestFilter = RouteMatcher;

export interface UserMessageSpec {
  channel_id: string;
  content: string;
  author: UserSpec;
  /** Guild member data (roles are role ids from addGuild); defaults to a member with no roles. */
  member?: MemberSpec & { nick?: string };
  /** Ignored: the guild is the channel's. */
  guild_id?: string;
}

export interface FakeDiscord {
  /** REST base for discord.js: `new Client({ rest: { api: fake.url } })`. */
  readonly url: string;
  readonly gatewayUrl: string;
  readonly botUser: DiscordUser;
  readonly applicationId: string;
  /** Adds a guild; if clients are connected they receive GUILD_CREATE. */
  addGuild(spec?: GuildSpec): FakeGuild;
  guilds(): FakeGuild[];
  /** An incoming webhook posting into a channel. */
  createWebhook(opts: { channelId: string }): FakeWebhook;
  /** A user writes a message: it is stored and dispatched as MESSAGE_CREATE. */
  dispatchMessageCreate(spec: UserMessageSpec): DiscordMessage;
  /** A user runs a slash command, types into an autocompleted option, or clicks a button. */
  dispatchInteraction(spec: InteractionSpec): DispatchedInteraction;
  /** Dispatches any gateway event as-is, for cases the helpers do not cover. */
  dispatch(event: string, data: Record<string, unknown>): void;
  /** Sends op 7 RECONNECT; discord.js reconnects and RESUMEs, and missed events are replayed. */
  requestReconnect(): void;
  failNext(matcher: RouteMatcher, fault: DiscordFault): FaultHandle;
  /** A fault that never runs out, e.g. `failAlways({ channelId }, { status: 403, code: 50013, ... })`. */
  failAlways(matcher: RouteMatcher, fault: DiscordFault): FaultHandle;
  clearFaults(): void;
  /** Messages currently in a channel, oldest first, as last edited. */
  messages(channelId: string): DiscordMessage[];
  requests(filter?: RequestFilter): DiscordRequest[];
  /** Resolves with the `count`-th request matching the filter, counting requests already received. */
  waitForRequest(filter: RequestFilter, count?: number): Promise<DiscordRequest>;
  /** Requests no route handled (answered 404); a test can assert this is empty. */
  unhandledRequests(): DiscordRequest[];
  interactionResponses(): InteractionResponse[];
  /** Registered application commands: global ones, or a guild's. */
  commands(guildId?: string): Record<string, unknown>[];
  /** Payloads clients sent over the gateway (IDENTIFY, heartbeats, RESUME…). */
  gatewayPayloads(): GatewayPayload[];
  connectedSessions(): number;
  close(): Promise<void>;
}

export async function startFakeDiscord(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const clock = opts.clock ?? Date.now;
  const newId = createSnowflakes(clock);
  const botUser = userPayload({
    id: opts.bot?.id ?? newId(),
    username: opts.bot?.username ?? 'tocsin',
    bot: true,
  });
  const applicationId = opts.applicationId ?? botUser.id;
  const world = new DiscordWorld(botUser, applicationId, clock, newId, opts.echoMessages ?? true);
  const desk = new InteractionDesk(world);
  const log = createRequestLog<DiscordRequest>();
  const faults = createFaultBook<RouteMatcher, { method: string; path: string }, DiscordFault>(routeMatches);
  for (const spec of opts.guilds ?? []) world.addGuild(spec);

  let port = 0;
  const gatewayUrl = () => `ws://127.0.0.1:${port}/gateway`;
  const gateway = createGateway({
    world,
    token: opts.token,
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 41_250,
    url: gatewayUrl,
  });
  world.dispatch = gateway.dispatch;

  const app = createFakeHttpServer();
  const held = new Set<() => void>();
  registerRestRoutes(app, { world, desk, log, faults, token: opts.token, gatewayUrl, held });
  app.server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://fake.invalid').pathname === '/gateway') {
      gateway.handleUpgrade(req, socket, head);
    } else {
      socket.destroy();
    }
  });
  port = await listen(app, opts.port ?? 0);

  const filterMatches = (f: RequestFilter | undefined) => (r: DiscordRequest) => !f || routeMatches(f, r);

  return {
    url: `http://127.0.0.1:${port}/api`,
    gatewayUrl: gatewayUrl(),
    botUser,
    applicationId,
    addGuild: (spec = {}) => world.addGuild(spec),
    guilds: () => world.listGuilds(),
    createWebhook: ({ channelId }) => world.createWebhook(channelId),
    dispatchMessageCreate(spec) {
      const guildId = world.guildOf(spec.channel_id);
      const author = userPayload(spec.author);
      const extra: Partial<DiscordMessage> = {};
      if (guildId) {
        extra.member = memberPayload(undefined, spec.member?.roles ?? [], world.isoNow());
        if (spec.member?.nick) extra.member.nick = spec.member.nick;
      }
      // Stored like any message, so replies can reference it and REST can fetch it.
      return world.createMessage(spec.channel_id, { content: spec.content }, author, extra, {
        dispatch: true,
      });
    },
    dispatchInteraction(spec) {
      const interaction = desk.create(spec);
      gateway.dispatch('INTERACTION_CREATE', interaction.payload);
      return interaction;
    },
    dispatch: gateway.dispatch,
    requestReconnect: gateway.requestReconnect,
    failNext: (matcher, fault) => faults.add(matcher, fault, fault.times ?? 1),
    failAlways: (matcher, fault) => faults.add(matcher, fault, Number.POSITIVE_INFINITY),
    clearFaults: faults.clear,
    messages: (channelId) => [...world.messages(channelId)],
    requests: (filter) => log.all().filter(filterMatches(filter)),
    waitForRequest: (filter, count) => log.waitFor(filterMatches(filter), count),
    unhandledRequests: () => log.all().filter((r) => r.unhandled),
    interactionResponses: () => [...desk.responses],
    commands: (guildId) => [...(guildId ? (world.guildCommands.get(guildId) ?? []) : world.globalCommands)],
    gatewayPayloads: gateway.received,
    connectedSessions: gateway.connectedSessions,
    async close() {
      for (const release of held) release();
      held.clear();
      gateway.close();
      await app.close();
    },
  };
}
