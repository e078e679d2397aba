import { BoundedBatchClient } from './boundedBatchClient.ts';
import { abciQuery, type CometStatus, cometStatus } from './cometRpc.ts';
import {
  classify,
  type EndpointFailure,
  EndpointSkipped,
  type FailureKind,
  QueryRejected,
} from './endpointFailure.ts';

/** What a query runs against: one endpoint. */
export interface ChainApi {
  /** CometBFT `status` (block height). */
  status(): Promise<CometStatus>;
  /** An ABCI query (`/<service>/<method>`, encoded request) → the answer's value bytes; see `abciQuery`. */
  abci(path: string, request: Uint8Array): Promise<Uint8Array>;
  endpoint: string;
}

export interface TransportSettings {
  maxConcurrency: number;
  batchSize: number;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
}

export interface FailureReport {
  chainId: string;
  endpoint: string;
  query: string;
  reason: string;
  kind: FailureKind;
}

/** Every endpoint failed a query; `last` is the last endpoint's failure. */
export class ChainUnreachable extends Error {
  override readonly name = 'ChainUnreachable';
  constructor(
    readonly chainId: string,
    readonly query: string,
    readonly last: EndpointFailure | undefined,
  ) {
    super(`${chainId}: no endpoint answered ${query}${last ? ` (last: ${last.message})` : ''}`);
  }
}

class Endpoint {
  readonly rpc: BoundedBatchClient;
  private api?: Promise<ChainApi>;
  /** Given up on for the current scan. */
  down = false;

  constructor(
    readonly url: string,
    settings: TransportSettings,
  ) {
    this.rpc = new BoundedBatchClient({
      url,
      maxConcurrency: settings.maxConcurrency,
      batchSize: settings.batchSize,
      timeoutMs: settings.timeoutMs,
    });
  }

  /**
   * The calls for this endpoint, once its `status` has answered (as cosmjs' version detection did before: the
   * same first call to each endpoint).
   */
  connect(): Promise<ChainApi> {
    this.api ??= cometStatus(this.rpc).then(
      () => ({
        status: () => cometStatus(this.rpc),
        abci: (path, request) => abciQuery(this.rpc, path, request),
        endpoint: this.url,
      }),
      (err: unknown) => {
        this.api = undefined;
        throw err;
      },
    );
    return this.api;
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

  constructor(
    readonly chainId: string,
    urls: string[],
    private readonly settings: TransportSettings,
    private readonly onFailure: (f: FailureReport) => void,
  ) {
    this.endpoints = urls.map((u) => new Endpoint(u, settings));
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
   * `ChainUnreachable` when no endpoint gave an answer.
   */
  async run<T>(query: string, fn: (api: ChainApi) => Promise<T>): Promise<T> {
    let last: EndpointFailure | undefined;
    for (const ep of this.endpoints) {
      if (ep.down) continue;
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn(await ep.connect());
        } catch (raw) {
          const err = classify(raw);
          if (err instanceof QueryRejected) throw err;
          if (err instanceof EndpointSkipped || ep.down) break;
          if (attempt < this.settings.retries) {
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

  private giveUp(ep: Endpoint, query: string, err: EndpointFailure): void {
    if (ep.down) return;
    ep.down = true;
    ep.rpc.failQueued(new EndpointSkipped(`${ep.url} given up on for this scan`));
    this.onFailure({ chainId: this.chainId, endpoint: ep.url, query, reason: err.message, kind: err.kind });
  }

  close(): void {
    for (const e of this.endpoints) e.rpc.disconnect();
  }
}
