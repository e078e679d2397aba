// Slack Socket Mode (https://docs.slack.dev/apis/events-api/using-socket-mode): the app calls
// apps.connections.open with its app-level token, opens the returned wss URL once, gets `hello`, then receives
// envelopes ({ envelope_id, type, payload, accepts_response_payload }) and acknowledges each by sending back
// { envelope_id, payload? }.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SlackResult } from './methods.ts';

export type SocketEnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** What the app sent back for an envelope. */
export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
  at: number;
}

export interface SocketSendOptions {
  /** Reuse an envelope id: Slack sends an envelope again when it was not acknowledged in time. */
  envelopeId?: string;
  retryAttempt?: number;
  /** How long to wait for the acknowledgement (default 15 s); then the promise rejects saying so. */
  ackTimeoutMs?: number;
}

export interface SocketModeHub {
  /** `apps.connections.open`: a one-time websocket URL for an app-level token. */
  open(token: string | undefined): SlackResult;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Sends an envelope to the newest open connection and resolves with the app's acknowledgement. */
  send(
    type: SocketEnvelopeType,
    payload: Record<string, unknown>,
    opts?: SocketSendOptions,
  ): Promise<SocketAck>;
  /** Resolves once a connection has been greeted with `hello` (rejects after `timeoutMs`, default 15 s). */
  waitForConnection(timeoutMs?: number): Promise<void>;
  /** Open connections that got `hello`. */
  connections(): number;
  /** Every acknowledgement received, in order. */
  acks(): SocketAck[];
  /** Asks every connection to reconnect (`disconnect` with reason `refresh_requested`). */
  requestReconnect(): void;
  close(): void;
}

export function createSocketModeHub(opts: {
  appId: string;
  /** When set, the only app-level token accepted; any `xapp-` token otherwise. */
  appToken: string | undefined;
  url: (path: string) => string;
  clock: () => number;
}): SocketModeHub {
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Set<string>();
  const live: WebSocket[] = [];
  const acks: SocketAck[] = [];
  const waiting = new Map<string, (ack: SocketAck) => void>();
  let onConnect: (() => void)[] = [];

  wss.on('connection', (socket: WebSocket) => {
    live.push(socket);
    socket.on('message', (data) => {
      let msg: { envelope_id?: unknown; payload?: unknown };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        return;
      }
      if (typeof msg.envelope_id !== 'string') return;
      const ack: SocketAck = {
        envelope_id: msg.envelope_id,
        ...(msg.payload && typeof msg.payload === 'object'
          ? { payload: msg.payload as Record<string, unknown> }
          : {}),
        at: opts.clock(),
      };
      acks.push(ack);
      waiting.get(ack.envelope_id)?.(ack);
      waiting.delete(ack.envelope_id);
    });
    socket.on('close', () => {
      const i = live.indexOf(socket);
      if (i >= 0) live.splice(i, 1);
    });
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: live.length,
        debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: opts.appId },
      }),
    );
    const greeted = onConnect;
    onConnect = [];
    for (const resolve of greeted) resolve();
  });

  return {
    open(token) {
      if (!token) return { ok: false, error: 'not_authed' };
      if (!token.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
      if (opts.appToken !== undefined && token !== opts.appToken) return { ok: false, error: 'invalid_auth' };
      const ticket = randomUUID();
      tickets.add(ticket);
      return { ok: true, url: opts.url(`/link/?ticket=${ticket}&app_id=${opts.appId}`) };
    },
    handleUpgrade(req, socket, head) {
      const ticket = new URL(req.url ?? '/', 'http://fake.invalid').searchParams.get('ticket') ?? '';
      // Each URL opens one connection, as with Slack.
      if (!tickets.delete(ticket)) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    send(type, payload, o = {}) {
      const socket = live.at(-1);
      if (!socket) return Promise.reject(new Error('fake Slack: no Socket Mode connection to send to'));
      const envelopeId = o.envelopeId ?? randomUUID();
      const timeoutMs = o.ackTimeoutMs ?? 15_000;
      return new Promise<SocketAck>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(envelopeId);
          reject(
            new Error(`fake Slack: envelope ${envelopeId} (${type}) not acknowledged within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        waiting.set(envelopeId, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
        socket.send(
          JSON.stringify({
            envelope_id: envelopeId,
            type,
            payload,
            accepts_response_payload: type === 'slash_commands',
            ...(o.retryAttempt ? { retry_attempt: o.retryAttempt, retry_reason: 'timeout' } : {}),
          }),
        );
      });
    },
    waitForConnection(timeoutMs = 15_000) {
      if (live.length) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`fake Slack: no Socket Mode connection within ${timeoutMs} ms`)),
          timeoutMs,
        );
        onConnect.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    connections: () => live.length,
    acks: () => [...acks],
    requestReconnect() {
      for (const s of live) {
        s.send(
          JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'fake' } }),
        );
      }
    },
    close() {
      for (const s of live) s.terminate();
      live.length = 0;
      wss.close();
    },
  };
}
