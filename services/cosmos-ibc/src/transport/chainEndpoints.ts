import {
  type BankExtension,
  createProtobufRpcClient,
  type IbcExtension,
  QueryClient,
  setupBankExtension,
  setupIbcExtension,
} from '@cosmjs/stargate';
import { Comet38Client, type RpcClient } from '@cosmjs/tendermint-rpc';
import { redactUrl, redactUrlsIn } from '@tocsin/runtime';
import { QueryClientImpl as BankQuery } from 'cosmjs-types/cosmos/bank/v1beta1/query';
import { QueryClientImpl as ClientQuery } from 'cosmjs-types/ibc/core/client/v1/query';
import { QueryClientImpl as ConnectionQuery } from 'cosmjs-types/ibc/core/connection/v1/query';
import { BoundedBatchClient } from './boundedBatchClient.ts';
import {
  classify,
  EndpointFailure,
  EndpointSkipped,
  type FailureKind,
  isEndpointSkipped,
  isQueryRejected,
} from './endpointFailure.ts';
import { encodeRequestsExactly } from './exactWriter.ts';

encodeRequestsExactly();

/** What a query runs against: one endpoint, through cosmjs' CometBFT client and QueryClient. */
export interface ChainApi {
  /** The CometBFT client (`status`). */
  comet: Comet38Client;
  /** cosmjs' QueryClient with the IBC and bank extensions. */
  query: QueryClient & IbcExtension & BankExtension;
  /** The ibc-go client query service (ClientStatus, which the IBC extension lacks). */
  clients: ClientQuery;
  /** The ibc-go connection query service (connection pages of `page_size`; the extension's use the default). */
  connections: ConnectionQuery;
  /** The bank query service (the extension's `balance` throws a bare assertion on an answer without a balance). */
  bank: BankQuery;
  endpoint: string;
}

/**
 * cosmjs over one RPC client. `Comet38Client.create`, not `connectComet`: no `status` round trip per endpoint to
 * pick the client class (the simulator and current chains run CometBFT 0.38; the two calls a scan makes, `status`
 * and `abci_query`, are decoded alike by cosmjs' 0.37, 0.38 and 1.x adaptors).
 */
export function chainApi(rpcClient: RpcClient, endpoint: string): ChainApi {
  const comet = Comet38Client.create(rpcClient);
  const query = QueryClient.withExtensions(comet, setupIbcExtension, setupBankExtension);
  const rpc = createProtobufRpcClient(query);
  return {
    comet,
    query,
    clients: new ClientQuery(rpc),
    connections: new ConnectionQuery(rpc),
    bank: new BankQuery(rpc),
    endpoint,
  };
}

export interface TransportSettings {
  /** HTTP requests open at once per endpoint. */
  maxConcurrency: number;
  /** JSON-RPC calls per HTTP request. */
  batchSize: number;
  /**
   * Queries in progress at once on the chain (its active endpoint), the others waiting their turn; default
   * `maxConcurrency × batchSize`, enough to fill every HTTP slot with a full batch.
   */
  maxQueries?: number;
  timeoutMs: number;
  /** Largest answer read from an endpoint (bytes); past it the request is aborted as `too_large`. */
  maxResponseBytes: number;
  retries: number;
  backoffMs: number;
}

export interface FailureReport {
  chainId: string;
  /** The endpoint URL as shown (credentials masked). */
  endpoint: string;
  query: string;
  reason: string;
  kind: FailureKind;
  /** wrong_chain: the chain the node serves. */
  network?: string;
}

/** The node behind an endpoint serves another chain than the one it is configured for. */
export class WrongChain extends EndpointFailure {
  constructor(
    readonly expected: string,
    readonly network: string,
  ) {
    super('wrong_chain', `the node serves chain "${network}", not "${expected}"; its data is not used`);
  }
}

/** Every endpoint failed a query; `last` is the last endpoint's failure. */
export class ChainUnreachable extends Error {
  override readonly name = 'ChainUnreachable';
  readonly code = 'chain_unreachable';
  constructor(
    readonly chainId: string,
    readonly query: string,
    readonly last: EndpointFailure | undefined,
  ) {
    super(redactUrlsIn(`${chainId}: no endpoint answered ${query}${last ? ` (last: ${last.message})` : ''}`));
  }
}

export function isChainUnreachable(err: unknown): err is ChainUnreachable {
  return err instanceof ChainUnreachable;
}

class Endpoint {
  readonly rpc: BoundedBatchClient;
  readonly api: ChainApi;
  /** The URL as shown in logs and events: credentials masked. */
  readonly shown: string;
  /** Given up on for the current scan. */
  down = false;
  /** The node said it serves the configured chain (`status` node_info.network); asked again after a failure. */
  verified = false;
  /** The `status` call that checks it, shared by the queries waiting for it. */
  verifying: Promise<void> | undefined;

  constructor(
    readonly url: string,
    settings: TransportSettings,
  ) {
    this.rpc = new BoundedBatchClient({
      url,
      maxConcurrency: settings.maxConcurrency,
      batchSize: settings.batchSize,
      timeoutMs: settings.timeoutMs,
      maxResponseBytes: settings.maxResponseBytes,
    });
    this.api = chainApi(this.rpc, url);
    this.shown = redactUrl(url);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The RPC endpoints of one chain, in failover order. A query is retried on an endpoint with doubling backoff;
 * when that fails too the endpoint is given up on for the rest of the scan (its queued calls move on at once)
 * and one failure is reported for it; the query goes on to the next endpoint. The next scan starts again with
 * the first endpoint, the operator's preferred one.
 */
export class ChainEndpoints {
  private readonly endpoints: Endpoint[];
  /** Queries in progress at once (see `TransportSettings.maxQueries`). */
  readonly maxQueries: number;
  /** Queries holding a slot (being encoded, queued in the RPC client, on the wire or being decoded). */
  private running = 0;
  /** Queries waiting for a slot, first come first served. */
  private readonly waiting: (() => void)[] = [];
  /** The most queries ever in progress at once. */
  maxQueriesSeen = 0;

  constructor(
    readonly chainId: string,
    urls: string[],
    private readonly settings: TransportSettings,
    private readonly onFailure: (f: FailureReport) => void,
  ) {
    this.endpoints = urls.map((u) => new Endpoint(u, settings));
    this.maxQueries = Math.max(1, settings.maxQueries ?? settings.maxConcurrency * settings.batchSize);
  }

  get urls(): string[] {
    return this.endpoints.map((e) => e.url);
  }

  /** The endpoint queries currently go to (first one not given up on), if any. */
  get active(): string | undefined {
    return this.endpoints.find((e) => !e.down)?.url;
  }

  beginScan(): void {
    for (const e of this.endpoints) e.down = false;
  }

  /** The most HTTP requests our client had open at once on each endpoint. */
  maxOpenRequests(): Record<string, number> {
    return Object.fromEntries(this.endpoints.map((e) => [e.url, e.rpc.maxOpenSeen]));
  }

  /**
   * Runs one query with retries and failover. Throws `QueryRejected` when the chain answered with an error,
   * `ChainUnreachable` when no endpoint gave an answer. Each attempt first waits for one of the `maxQueries`
   * slots (not held during a backoff): however many queries callers start, only that many are encoded, queued
   * and decoded at once, so what a scan holds (requests, answers, cosmjs' promises) stays bounded and short-lived.
   */
  async run<T>(query: string, fn: (api: ChainApi) => Promise<T>): Promise<T> {
    let last: EndpointFailure | undefined;
    for (const ep of this.endpoints) {
      if (ep.down) continue;
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.inSlot(async () => {
            await this.verify(ep);
            return fn(ep.api);
          });
        } catch (raw) {
          const err = classify(raw);
          if (isQueryRejected(err)) throw err;
          if (isEndpointSkipped(err) || ep.down) break;
          if (attempt < this.settings.retries && !(err instanceof WrongChain)) {
            await sleep(this.settings.backoffMs * 2 ** attempt);
            if (ep.down) break;
            continue;
          }
          last = err;
          this.giveUp(ep, query, err);
          break;
        }
      }
    }
    throw new ChainUnreachable(this.chainId, query, last);
  }

  /**
   * Before an endpoint's first query (and again after it failed: a reconnect may reach another node) its node
   * must say, in `status`, that it serves this chain; otherwise every query on it fails as `wrong_chain` and
   * none of its answers is used.
   */
  private verify(ep: Endpoint): Promise<void> | undefined {
    if (ep.verified) return undefined;
    ep.verifying ??= (async () => {
      try {
        const { network } = (await ep.api.comet.status()).nodeInfo;
        if (network !== this.chainId) throw new WrongChain(this.chainId, network);
        ep.verified = true;
      } finally {
        ep.verifying = undefined;
      }
    })();
    return ep.verifying;
  }

  private async inSlot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running < this.maxQueries) this.running++;
    else await new Promise<void>((r) => this.waiting.push(r)); // handed the slot of a query that ended
    this.maxQueriesSeen = Math.max(this.maxQueriesSeen, this.running);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private giveUp(ep: Endpoint, query: string, err: EndpointFailure): void {
    if (ep.down) return;
    ep.down = true;
    ep.verified = false;
    ep.rpc.failQueued(new EndpointSkipped(`${ep.shown} given up on for this scan`));
    this.onFailure({
      chainId: this.chainId,
      endpoint: ep.shown,
      query,
      reason: redactUrlsIn(err.message),
      kind: err.kind,
      ...(err instanceof WrongChain ? { network: err.network } : {}),
    });
  }

  close(): void {
    for (const e of this.endpoints) e.rpc.disconnect();
  }
}
