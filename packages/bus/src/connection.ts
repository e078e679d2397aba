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
  /**
   * Called after each failed first attempt (the server is down, refuses, or cannot be resolved) before the next,
   * `reconnectWaitMs` later: without it, a first connection that cannot be made waits silently.
   */
  onConnectFailed?: (err: Error, attempt: number) => void;
  /** Gives up the first connection attempts (a stop during start-up): connectBus rejects with the reason. */
  signal?: AbortSignal;
}

/** The client's `pendingLimit` (bytes gathered before a write), an option its types do not declare. */
const PENDING_LIMIT = { pendingLimit: 1024 * 1024 } as object;

/** The server refused the credentials: retrying cannot help. */
export function isAuthError(err: unknown): boolean {
  return /authori[sz]ation|authentication/i.test(`${(err as Error)?.name} ${(err as Error)?.message}`);
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Connects to NATS and keeps reconnecting for as long as the process lives. The first connection is retried every
 * `reconnectWaitMs` until it succeeds (each failure reported to `onConnectFailed`), the credentials are refused
 * (rejects at once), or `signal` aborts.
 */
export async function connectBus(opts: BusConnectOptions): Promise<NatsConnection> {
  const log = opts.log ?? silentLog;
  const wait = opts.reconnectWaitMs ?? 1000;
  let nc: NatsConnection | undefined;
  for (let attempt = 1; !nc; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      nc = await connect({
        servers: opts.url.split(',').map((s) => s.trim()),
        name: opts.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: wait,
        waitOnFirstConnect: false,
        // Without it, every request (each JetStream publish is one) builds an Error up front to keep the caller's
        // stack for a failure that almost never comes: 20,000 Error objects, and their stack traces, for 10,000 alerts.
        noAsyncTraces: true,
        // What is published in one go (a commit's notifications, a batch's acks) leaves in one socket write: the
        // client writes as soon as 32 KiB are pending (its default), which for the alerter's burst of notifications
        // was a write every dozen publishes, and each write to the socket costs more CPU than the bytes in it.
        // The buffer is written at the end of the same tick anyway; this only bounds how much one tick gathers.
        ...PENDING_LIMIT,
        ...(opts.user ? { user: opts.user, pass: opts.pass } : {}),
        ...(opts.token ? { token: opts.token } : {}),
      });
    } catch (err) {
      if (isAuthError(err)) throw err;
      opts.onConnectFailed?.(err as Error, attempt);
      await pause(wait, opts.signal);
    }
  }
  if (opts.signal?.aborted) {
    await nc.close();
    opts.signal.throwIfAborted();
  }
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') log.warn({ server: s.server }, 'nats disconnected');
      else if (s.type === 'reconnect') log.info({ server: s.server }, 'nats reconnected');
      else if (s.type === 'error') log.error({ err: String(s.error) }, 'nats error');
    }
  })();
  return nc;
}
