import type { FaultKind } from './faults.ts';

/** A snapshot of one endpoint's counters, what tests and the benchmark assert on. */
export interface EndpointStats {
  chainId: string;
  endpoint: number;
  url: string;
  /** HTTP requests received (a batch is one request). */
  httpRequests: number;
  /** JSON-RPC calls answered or swallowed: batch elements and WebSocket messages count one each. */
  rpcCalls: number;
  /** HTTP requests whose body was a JSON array. */
  batches: number;
  /** HTTP requests currently open (accepted, response not yet finished or aborted). */
  inFlight: number;
  /** The most HTTP requests ever open at once on this endpoint: the number a concurrency limit is checked against. */
  maxInFlight: number;
  /** Total latency the sim added on purpose, in ms (not wall-clock measurements). */
  injectedLatencyMs: number;
  /** WebSocket connections currently open. */
  wsConnections: number;
  /** Calls per JSON-RPC method, e.g. `{ status: 2, abci_query: 40 }`. */
  byMethod: Record<string, number>;
  /** abci_query calls per query path. */
  byPath: Record<string, number>;
  /** Requests that hit each fault kind. */
  faults: Partial<Record<FaultKind, number>>;
}

export class EndpointCounters {
  private s: Omit<EndpointStats, 'url'>;

  /** `url` is asked for lazily: the port is only known once the server listens. */
  constructor(
    chainId: string,
    endpoint: number,
    private readonly url: () => string,
  ) {
    this.s = EndpointCounters.empty(chainId, endpoint);
  }

  private static empty(chainId: string, endpoint: number): Omit<EndpointStats, 'url'> {
    return {
      chainId,
      endpoint,
      httpRequests: 0,
      rpcCalls: 0,
      batches: 0,
      inFlight: 0,
      maxInFlight: 0,
      injectedLatencyMs: 0,
      wsConnections: 0,
      byMethod: {},
      byPath: {},
      faults: {},
    };
  }

  /** Counts an HTTP request as open; call the returned function exactly once when it ends. */
  openRequest(): () => void {
    this.s.httpRequests++;
    this.s.inFlight++;
    if (this.s.inFlight > this.s.maxInFlight) this.s.maxInFlight = this.s.inFlight;
    let open = true;
    return () => {
      if (open) this.s.inFlight--;
      open = false;
    };
  }

  countRefused(): void {
    this.s.httpRequests++;
  }

  countBatch(): void {
    this.s.batches++;
  }

  countCall(method: string, abciPath?: string): void {
    this.s.rpcCalls++;
    this.s.byMethod[method] = (this.s.byMethod[method] ?? 0) + 1;
    if (abciPath !== undefined) this.s.byPath[abciPath] = (this.s.byPath[abciPath] ?? 0) + 1;
  }

  countFault(kind: FaultKind): void {
    if (kind !== 'none') this.s.faults[kind] = (this.s.faults[kind] ?? 0) + 1;
  }

  countLatency(ms: number): void {
    this.s.injectedLatencyMs += ms;
  }

  wsOpened(): void {
    this.s.wsConnections++;
  }

  wsClosed(): void {
    this.s.wsConnections--;
  }

  snapshot(): EndpointStats {
    return { ...structuredClone(this.s), url: this.url() };
  }

  /** Zeroes the counters (e.g. after a warm-up) but keeps what is open right now. */
  reset(): void {
    const { chainId, endpoint, inFlight, wsConnections } = this.s;
    this.s = { ...EndpointCounters.empty(chainId, endpoint), inFlight, maxInFlight: inFlight, wsConnections };
  }
}
