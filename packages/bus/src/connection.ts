import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Log, silentLog } from './log.ts';

export interface BusConnectOptions {
  url: string;
  /** Shown in the server's connection list. */
  name: string;
  log?: Log;
  /** ms between reconnect attempts (the client reconnects forever). */
  reconnectWaitMs?: number;
  user?: string;
  pass?: string;
  token?: string;
}

/** Connects to NATS and keeps reconnecting for as long as the process lives. */
export async function connectBus(opts: BusConnectOptions): Promise<NatsConnection> {
  const log = opts.log ?? silentLog;
  const nc = await connect({
    servers: opts.url.split(',').map((s) => s.trim()),
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: opts.reconnectWaitMs ?? 1000,
    waitOnFirstConnect: true,
    ...(opts.user ? { user: opts.user, pass: opts.pass } : {}),
    ...(opts.token ? { token: opts.token } : {}),
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') log.warn({ server: s.server }, 'nats disconnected');
      else if (s.type === 'reconnect') log.info({ server: s.server }, 'nats reconnected');
      else if (s.type === 'error') log.error({ err: String(s.error) }, 'nats error');
    }
  })();
  return nc;
}
