import { ApiPromise, WsProvider } from '@polkadot/api';
import type { Header as PjsHeader } from '@polkadot/types/interfaces';
import { type Clock, type Logger, redactUrl } from '@tocsin/runtime';
import type { Header } from './fork/forkMonitor.ts';

export type HeadKind = 'best' | 'all' | 'finalized';

export interface NodeHandlers {
  onHead(node: NodeConnection, head: Header, kind: HeadKind): void;
  /** Connected, disconnected, or failed: node_status. */
  onStatus(node: NodeConnection): void;
}

export interface NodeOptions {
  url: string;
  primary: boolean;
  clock: Clock;
  log: Logger;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  requestTimeoutMs: number;
  watchdogMs: number;
}

export interface RawBlock {
  header: Record<string, unknown>;
  extrinsics: string[];
}

/** The message of an Error, or of a WebSocket ErrorEvent (`{message}` or `{error: Error}`). */
function errorText(err: unknown): string {
  const e = err as { message?: unknown; error?: { message?: unknown } } | null;
  const m = e?.message ?? e?.error?.message;
  return typeof m === 'string' && m ? m : 'unknown error';
}

export function toHeader(h: PjsHeader): Header {
  return { hash: h.hash.toHex(), parent: h.parentHash.toHex(), height: h.number.toNumber() };
}

/**
 * One node: a WsProvider that reconnects with backoff (doubling up to reconnectMax), an ApiPromise on it, and the
 * three head subscriptions (best heads on the primary only). The WsProvider resubscribes after a reconnect; the
 * watchdog resubscribes when no head has come for `watchdogMs` (a subscription the node silently dropped).
 * Nothing here throws at the caller: a node that cannot be reached is a status, reported through onStatus.
 */
export class NodeConnection {
  readonly url: string;
  readonly shown: string;
  readonly primary: boolean;
  api: ApiPromise | null = null;
  connected = false;
  ready = false;
  best: Header | null = null;
  finalized: Header | null = null;
  peers: number | null = null;
  syncing: boolean | null = null;
  error: string | null = null;
  lastHeadAtMs: number;
  specVersion: number | null = null;
  /** Times the watchdog resubscribed. */
  watchdogResubscribes = 0;
  readonly #opts: NodeOptions;
  readonly #handlers: NodeHandlers;
  #provider: WsProvider | null = null;
  #unsubs: (() => void)[] = [];
  #attempt = 0;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #generation = 0;

  constructor(opts: NodeOptions, handlers: NodeHandlers) {
    this.#opts = opts;
    this.#handlers = handlers;
    this.url = opts.url;
    this.shown = redactUrl(opts.url);
    this.primary = opts.primary;
    this.lastHeadAtMs = opts.clock.now();
  }

  start(): void {
    const provider = new WsProvider(this.url, false, {}, this.#opts.requestTimeoutMs);
    this.#provider = provider;
    provider.on('connected', () => {
      if (this.#closed) {
        // A connection attempt that was under way when we closed: finish it now.
        this.api?.disconnect().catch(() => undefined);
        return;
      }
      this.#attempt = 0;
      this.connected = true;
      this.error = null;
      this.#handlers.onStatus(this);
      // rpc-core ends its subscriptions when the socket closes: after a reconnect they are made anew.
      if (this.ready) this.#subscribe().catch((err) => this.#fail(err));
    });
    provider.on('disconnected', () => {
      const was = this.connected;
      this.connected = false;
      this.error ??= 'disconnected';
      if (was || this.#attempt === 0) this.#handlers.onStatus(this);
      this.#scheduleReconnect();
    });
    provider.on('error', (err: unknown) => {
      this.error = `connection error: ${errorText(err)}`;
      this.#opts.log.debug({ node: this.shown, err: this.error }, 'connection error');
    });
    const api = new ApiPromise({ provider, noInitWarn: true, throwOnConnect: false });
    this.api = api;
    // Rejected on the first connection error (an ErrorEvent): the state is reported through onStatus instead.
    api.isReadyOrError.catch(() => undefined);
    api.on('error', (err: unknown) => {
      this.error = errorText(err);
    });
    api.on('ready', () => {
      this.ready = true;
      this.specVersion = api.runtimeVersion.specVersion.toNumber();
      this.#subscribe().catch((err) => this.#fail(err));
    });
    this.#connect();
  }

  #connect(): void {
    if (this.#closed || !this.#provider) return;
    this.#opts.log.debug({ node: this.shown, attempt: this.#attempt }, 'connecting');
    this.#provider.connect().catch((err) => {
      this.error = `connect: ${(err as Error).message}`;
      this.#handlers.onStatus(this);
      this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#timer) return;
    const delay = Math.min(this.#opts.reconnectMinMs * 2 ** this.#attempt, this.#opts.reconnectMaxMs);
    this.#attempt++;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.connected) this.#connect();
    }, delay);
    this.#timer.unref?.();
  }

  #fail(err: unknown): void {
    if (!this.connected) return; // the disconnect is the news; the subscriptions are made again on reconnect
    this.error = (err as Error)?.message ?? String(err);
    this.#opts.log.warn({ node: this.shown, err: this.error }, 'subscription failed');
    this.#handlers.onStatus(this);
  }

  async #subscribe(): Promise<void> {
    const api = this.api;
    if (!api) return;
    this.#unsubscribe();
    this.lastHeadAtMs = this.#opts.clock.now();
    const on = (kind: HeadKind) => (h: PjsHeader) => {
      const head = toHeader(h);
      this.lastHeadAtMs = this.#opts.clock.now();
      if (kind === 'best') this.best = head;
      if (kind === 'finalized') this.finalized = head;
      if (kind === 'all' && !this.primary && (!this.best || head.height >= this.best.height))
        this.best = head;
      this.#handlers.onHead(this, head, kind);
    };
    // Not awaited one after the other: a subscription's promise may only resolve with its first notification
    // (all heads does, on a node that imports nothing for a while).
    const subs = [
      api.rpc.chain.subscribeAllHeads(on('all')),
      api.rpc.chain.subscribeFinalizedHeads(on('finalized')),
    ];
    if (this.primary) subs.unshift(api.rpc.chain.subscribeNewHeads(on('best')));
    const generation = ++this.#generation;
    for (const p of subs)
      p.then(
        (u) => {
          if (generation === this.#generation && !this.#closed) this.#unsubs.push(u);
          else u();
        },
        (err) => this.#fail(err),
      );
  }

  #unsubscribe(): void {
    this.#generation++;
    for (const u of this.#unsubs.splice(0)) {
      try {
        u();
      } catch {
        // the connection is gone already
      }
    }
  }

  /** Watchdog: resubscribes when no head arrived for watchdogMs. Returns true when it did. */
  watchdog(): boolean {
    if (!this.ready || !this.connected) return false;
    if (this.#opts.clock.now() - this.lastHeadAtMs < this.#opts.watchdogMs) return false;
    this.#opts.log.warn({ node: this.shown }, 'no block for the watchdog interval; resubscribing');
    this.watchdogResubscribes++;
    this.#subscribe().catch((err) => this.#fail(err));
    return true;
  }

  /** A raw JSON-RPC call on this node (the answer undecoded, so one bad extrinsic cannot spoil the block). */
  async send<T>(method: string, params: unknown[]): Promise<T> {
    if (!this.#provider || !this.connected) throw new Error(`node ${this.shown} is not connected`);
    return (await this.#provider.send(method, params)) as T;
  }

  async block(hash: string): Promise<RawBlock> {
    const r = await this.send<{ block: RawBlock } | null>('chain_getBlock', [hash]);
    if (!r?.block) throw new Error(`node ${this.shown} does not know block ${hash}`);
    return r.block;
  }

  async header(hash: string): Promise<Header> {
    const raw = await this.send<{ parentHash: string; number: string } | null>('chain_getHeader', [hash]);
    if (!raw) throw new Error(`node ${this.shown} does not know block ${hash}`);
    return { hash, parent: raw.parentHash, height: Number.parseInt(raw.number, 16) };
  }

  async refreshHealth(): Promise<void> {
    try {
      const h = await this.send<{ peers: number; isSyncing: boolean }>('system_health', []);
      this.peers = h.peers;
      this.syncing = h.isSyncing;
    } catch {
      // reported through connected/error
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#unsubscribe();
    // Closing a socket that is still connecting makes ws emit 'error' after polkadot-js has dropped its listeners
    // (an uncaught exception): such an attempt is left to fail, or is closed once it connects.
    if (!this.connected) return;
    try {
      await this.api?.disconnect();
    } catch {
      // closing anyway
    }
  }
}
