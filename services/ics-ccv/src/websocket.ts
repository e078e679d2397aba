import { isJsonRpcErrorResponse, parseJsonRpcResponse } from '@cosmjs/json-rpc';
import { ConnectionStatus, QueueingStreamingSocket } from '@cosmjs/socket';
import type { Logger } from '@tocsin/runtime';
import { z } from 'zod';

/** An ABCI event with its attributes in order, as CometBFT sends them. */
export interface AbciEvent {
  type: string;
  attributes: { key: string; value: string }[];
}
export interface TxNotice {
  height: number;
  code: number;
  events: AbciEvent[];
}

const abciEvents = z
  .array(
    z.object({
      type: z.string(),
      attributes: z.array(z.object({ key: z.string(), value: z.string().nullish() })).default([]),
    }),
  )
  .nullish()
  .transform((evs) =>
    (evs ?? []).map((e) => ({
      type: e.type,
      attributes: e.attributes.map((a) => ({ key: a.key, value: a.value ?? '' })),
    })),
  );
const txData = z.object({
  type: z.literal('tendermint/event/Tx'),
  value: z.object({
    TxResult: z.object({
      height: z.union([z.string(), z.number()]).transform(Number),
      result: z.object({ code: z.number().optional(), events: abciEvents }),
    }),
  }),
});
const blockData = z.object({
  type: z.literal('tendermint/event/NewBlock'),
  value: z.object({
    block: z.object({ header: z.object({ height: z.union([z.string(), z.number()]).transform(Number) }) }),
    result_finalize_block: z.object({ events: abciEvents }).nullish(),
  }),
});

const QUERIES = { tx: "tm.event='Tx'", block: "tm.event='NewBlock'" } as const;

export interface ProviderSubscription {
  /** Resolves once the first connection is up and the subscribe requests are sent. */
  readonly connected: Promise<void>;
  stop(): void;
}

/**
 * `tm.event='Tx'` and `tm.event='NewBlock'` on the provider's CometBFT websocket, on cosmjs' QueueingStreamingSocket
 * (@cosmjs/socket, what @cosmjs/tendermint-rpc's WebsocketClient is built on). WebsocketClient's ReconnectingSocket
 * reconnects silently and never subscribes again, so its subscriptions go quiet after the first drop (and it keeps
 * reconnecting after disconnect()). Here every drop is followed by a reconnect after a backoff (doubling up to a
 * cap, reset once connected); each connection sends both subscribe requests, and each one after the first calls
 * `onReconnect`, which re-syncs by polling what was missed. A connection that stays silent for `idleTimeoutMs`
 * (a clean close cosmjs does not report, a half-open TCP connection) is dropped the same way.
 */
export function subscribeProvider(opts: {
  rpcUrl: string;
  log: Logger;
  onTx(tx: TxNotice): void;
  onBlock(height: number, events: AbciEvent[]): void;
  onReconnect(): void;
  backoffMs: number;
  backoffMaxMs: number;
  /** Real ms without any message before the connection is considered dead. NewBlock comes every block. */
  idleTimeoutMs: number;
}): ProviderSubscription {
  const wsUrl = `${opts.rpcUrl.replace(/^http/, 'ws')}/websocket`;
  const ids = { tx: 1, block: 2 };
  const request = (key: keyof typeof ids) =>
    JSON.stringify({ jsonrpc: '2.0', id: ids[key], method: 'subscribe', params: { query: QUERIES[key] } });
  const socket = new QueueingStreamingSocket(wsUrl, 10_000);
  let stopped = false;
  let connections = 0;
  let down = false;
  let backoff = opts.backoffMs;
  let retry: NodeJS.Timeout | undefined;
  let idle: NodeJS.Timeout | undefined;
  let resolveConnected!: () => void;
  const connected = new Promise<void>((r) => {
    resolveConnected = r;
  });
  const armIdle = () => {
    clearTimeout(idle);
    if (stopped) return;
    idle = setTimeout(() => {
      opts.log.warn({ url: wsUrl, idle_ms: opts.idleTimeoutMs }, 'provider websocket silent; reconnecting');
      socket.disconnect();
    }, opts.idleTimeoutMs);
    idle.unref();
  };
  const statusSub = socket.connectionStatus.updates.subscribe({
    next: (s) => {
      if (stopped) return;
      if (s === ConnectionStatus.Connected) {
        backoff = opts.backoffMs;
        socket.queueRequest(request('tx'));
        socket.queueRequest(request('block'));
        armIdle();
        if (connections++ === 0) resolveConnected();
        else {
          if (down) opts.log.info({ url: wsUrl }, 'provider websocket is back; subscribed again, re-syncing');
          opts.onReconnect();
        }
        down = false;
      } else if (s === ConnectionStatus.Disconnected) {
        if (!down) opts.log.warn({ url: wsUrl }, 'provider websocket dropped; reconnecting with backoff');
        down = true;
        clearTimeout(idle);
        clearTimeout(retry);
        retry = setTimeout(() => !stopped && socket.reconnect(), backoff);
        backoff = Math.min(backoff * 2, opts.backoffMaxMs);
      }
    },
  });
  const undecodable = new Set<string>();
  const eventsSub = socket.events.subscribe({
    next: (message) => {
      armIdle();
      try {
        const response = parseJsonRpcResponse(JSON.parse(String(message.data)));
        if (isJsonRpcErrorResponse(response)) {
          opts.log.warn({ error: response.error }, 'provider websocket refused a subscription');
          return;
        }
        const result = response.result as { query?: string; data?: unknown } | undefined;
        if (!result?.query) return; // the subscribe ack
        if (response.id === ids.tx) {
          const tx = txData.parse(result.data).value.TxResult;
          opts.onTx({ height: tx.height, code: tx.result.code ?? 0, events: tx.result.events });
        } else if (response.id === ids.block) {
          const b = blockData.parse(result.data).value;
          opts.onBlock(b.block.header.height, b.result_finalize_block?.events ?? []);
        }
      } catch (err) {
        const key = (err as Error).message.slice(0, 200);
        if (!undecodable.has(key)) opts.log.warn({ err: key }, 'undecodable websocket message skipped');
        undecodable.add(key);
      }
    },
  });
  socket.connect();
  return {
    connected,
    stop() {
      stopped = true;
      clearTimeout(retry);
      clearTimeout(idle);
      statusSub.unsubscribe();
      eventsSub.unsubscribe();
      socket.disconnect();
    },
  };
}
