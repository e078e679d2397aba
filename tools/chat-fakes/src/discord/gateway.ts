import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { shapeForIntents } from './intents.ts';
import type { DiscordWorld } from './world.ts';

const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

const Close = {
  UnknownOpcode: 4001,
  DecodeError: 4002,
  NotAuthenticated: 4003,
  AuthenticationFailed: 4004,
  AlreadyAuthenticated: 4005,
} as const;

/** A payload a client sent to the gateway. */
export interface GatewayPayload {
  op: number;
  d: unknown;
  at: number;
}

interface Session {
  id: string;
  token: string;
  intents: number;
  seq: number;
  socket: WebSocket | undefined;
  /** Everything dispatched to the session, replayed on RESUME. */
  sent: { s: number; frame: string }[];
}

export interface GatewayOptions {
  world: DiscordWorld;
  /** When set, IDENTIFY/RESUME with another token is closed with 4004. */
  token: string | undefined;
  heartbeatIntervalMs: number;
  url: () => string;
}

export interface Gateway {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  dispatch(event: string, data: Record<string, unknown>): void;
  requestReconnect(): void;
  received(): GatewayPayload[];
  /** Sessions that identified and still have an open socket. */
  connectedSessions(): number;
  close(): void;
}

const SESSION_REPLAY_LIMIT = 1000;

export function createGateway(opts: GatewayOptions): Gateway {
  const { world } = opts;
  const wss = new WebSocketServer({ noServer: true });
  const sessions = new Map<string, Session>();
  const received: GatewayPayload[] = [];

  function send(
    socket: WebSocket,
    payload: { op: number; d: unknown; s?: number | null; t?: string | null },
  ) {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ s: null, t: null, ...payload }));
  }

  function deliver(session: Session, event: string, data: Record<string, unknown>) {
    const shaped = shapeForIntents(event, data, session.intents, world.botUser.id);
    if (!shaped) return;
    const s = ++session.seq;
    const frame = JSON.stringify({ op: Op.Dispatch, t: event, s, d: shaped });
    session.sent.push({ s, frame });
    if (session.sent.length > SESSION_REPLAY_LIMIT) session.sent.shift();
    if (session.socket && session.socket.readyState === session.socket.OPEN) session.socket.send(frame);
  }

  function identify(socket: WebSocket, d: Record<string, unknown>): Session | undefined {
    if (opts.token !== undefined && d.token !== opts.token) {
      socket.close(Close.AuthenticationFailed, 'Authentication failed.');
      return undefined;
    }
    const session: Session = {
      id: world.newId(),
      token: String(d.token),
      intents: Number(d.intents ?? 0),
      seq: 0,
      socket,
      sent: [],
    };
    sessions.set(session.id, session);
    const guilds = [...world.guilds.keys()];
    deliver(session, 'READY', {
      v: 10,
      user: { ...world.botUser, bot: true, verified: true, mfa_enabled: false, flags: 0 },
      guilds: guilds.map((id) => ({ id, unavailable: true })),
      session_id: session.id,
      resume_gateway_url: opts.url(),
      shard: d.shard ?? [0, 1],
      application: { id: world.applicationId, flags: 0 },
      private_channels: [],
      presences: [],
      relationships: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
      user_settings: {},
      _trace: ['fake-discord'],
    });
    // discord.js waits for a GUILD_CREATE for every guild READY listed before it emits clientReady.
    for (const id of guilds) deliver(session, 'GUILD_CREATE', world.guildCreatePayload(id));
    return session;
  }

  function resume(socket: WebSocket, d: Record<string, unknown>): Session | undefined {
    const session = sessions.get(String(d.session_id));
    if (!session || session.token !== d.token) {
      send(socket, { op: Op.InvalidSession, d: false });
      return undefined;
    }
    session.socket = socket;
    const seq = Number(d.seq ?? 0);
    for (const { s, frame } of session.sent) if (s > seq) socket.send(frame);
    deliver(session, 'RESUMED', {});
    return session;
  }

  wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    const query = new URL(req.url ?? '/', 'http://fake.invalid').searchParams;
    // JSON only. A client asking for zlib-stream still copes: @discordjs/ws parses text frames as plain JSON.
    if ((query.get('encoding') ?? 'json') !== 'json') {
      socket.close(Close.DecodeError, 'fake discord speaks JSON only');
      return;
    }
    let session: Session | undefined;
    socket.on('message', (raw) => {
      let payload: { op?: unknown; d?: unknown };
      try {
        payload = JSON.parse(raw.toString());
      } catch {
        socket.close(Close.DecodeError, 'Error while decoding payload.');
        return;
      }
      const d = (payload.d ?? {}) as Record<string, unknown>;
      received.push({ op: Number(payload.op), d: payload.d, at: world.clock() });
      switch (payload.op) {
        case Op.Heartbeat:
          send(socket, { op: Op.HeartbeatAck, d: null });
          return;
        case Op.Identify:
          if (session) socket.close(Close.AlreadyAuthenticated, 'You sent more than one identify payload.');
          else session = identify(socket, d);
          return;
        case Op.Resume:
          session = resume(socket, d);
          return;
        case Op.PresenceUpdate:
        case Op.VoiceStateUpdate:
        case Op.RequestGuildMembers:
          if (!session) socket.close(Close.NotAuthenticated, 'You sent a payload prior to identifying.');
          return;
        default:
          socket.close(Close.UnknownOpcode, 'Unknown opcode.');
      }
    });
    socket.on('close', (code) => {
      if (!session || session.socket !== socket) return;
      session.socket = undefined;
      // A normal close ends the session; any other close (discord.js uses 4200) leaves it resumable.
      if (code === 1000 || code === 1001) sessions.delete(session.id);
    });
    send(socket, { op: Op.Hello, d: { heartbeat_interval: opts.heartbeatIntervalMs } });
  });

  return {
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    dispatch(event, data) {
      for (const session of sessions.values()) deliver(session, event, data);
    },
    requestReconnect() {
      for (const session of sessions.values()) {
        if (session.socket) send(session.socket, { op: Op.Reconnect, d: null });
      }
    },
    received: () => [...received],
    connectedSessions: () => [...sessions.values()].filter((s) => s.socket !== undefined).length,
    close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}
