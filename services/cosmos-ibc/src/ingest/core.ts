import { cosmosIbc } from '@tocsin/events';
import type { ServiceContext } from '@tocsin/runtime';
import type { ChainConfig, CosmosIbcConfig } from '../config.ts';
import { createIngestorMetrics, type IngestorMetrics } from '../ingestorMetrics.ts';
import { createPublishQueue, type PublishQueue } from '../publishQueue.ts';
import { loadClientRecords } from '../store/clientRecords.ts';
import { ChainEndpoints, type FailureReport } from '../transport/chainEndpoints.ts';
import type { ChainView } from '../views.ts';

/** What the ingestor keeps per configured chain. */
export interface ChainState {
  view: ChainView;
  endpoints: ChainEndpoints;
  /** One operation (scan, recheck, start probe) at a time per chain. */
  lock: Promise<unknown>;
  scans: number;
  failures: number;
}

/** What every stage of the ingestor (scan, wallets, recheck, announce) shares: the chains and the way out. */
export interface IngestorCore {
  ctx: ServiceContext<CosmosIbcConfig>;
  cfg: CosmosIbcConfig;
  metrics: IngestorMetrics;
  chains: Map<string, ChainState>;
  outbox: PublishQueue;
  publish: PublishQueue['publish'];
  /** Waits until every event published so far is acknowledged (or held for retry while NATS is away). */
  drainPublishes: () => Promise<void>;
  /** The scan interval a moment falls in: part of the dedup key of facts that repeat every scan. */
  slotOf: (chain: ChainConfig, atMs: number) => number;
  setHeight: (chainId: string, height: number) => void;
}

/** The chains of the config with their endpoints and the clients remembered from the last run. */
export async function createIngestorCore(ctx: ServiceContext<CosmosIbcConfig>): Promise<IngestorCore> {
  const cfg = ctx.section;
  const { pool, log, clock } = ctx;
  const metrics = createIngestorMetrics(ctx.metrics);
  const chains = new Map<string, ChainState>();

  /** Every event goes out through one ordered, bounded queue that rides out NATS outages. */
  const outbox = createPublishQueue({
    publisher: ctx.publisher,
    log,
    metrics: ctx.metrics,
    bound: cfg.publish_buffer,
    clock,
  });
  const publish = outbox.publish;

  const slotOf = (chain: ChainConfig, atMs: number) => Math.floor(atMs / chain.scan_interval);

  const onFailure = (f: FailureReport) => {
    const state = chains.get(f.chainId)!;
    state.failures++;
    ctx.metrics.endpointErrors.inc({ chain_id: f.chainId, kind: f.kind });
    ctx.metrics.errors.inc({ kind: 'endpoint' });
    log.warn({ ...f }, 'endpoint failed; failing over');
    const slot = slotOf(state.view.config, clock.now());
    publish(cosmosIbc.endpointError, f.chainId, `${f.chainId}:${f.endpoint}:${f.query}:${f.kind}:${slot}`, {
      endpoint: f.endpoint,
      query: f.query,
      reason: f.reason,
      kind: f.kind,
      ...(f.network === undefined ? {} : { network: f.network }),
    });
  };

  const stored = await loadClientRecords(pool);
  for (const chain of cfg.chains) {
    const clients = new Map(stored.filter((o) => o.chainId === chain.chain_id).map((o) => [o.clientId, o]));
    chains.set(chain.chain_id, {
      view: { config: chain, scannedAtMs: null, height: null, clients, wallets: new Map() },
      endpoints: new ChainEndpoints(
        chain.chain_id,
        chain.rpc,
        {
          maxConcurrency: cfg.max_concurrency_per_endpoint,
          batchSize: cfg.batch_size,
          timeoutMs: cfg.request_timeout,
          maxResponseBytes: cfg.max_response_bytes,
          retries: cfg.retries,
          backoffMs: cfg.retry_backoff,
        },
        onFailure,
      ),
      lock: Promise.resolve(),
      scans: 0,
      failures: 0,
    });
  }

  const setHeight = (chainId: string, height: number) => {
    ctx.heights.set(chainId, height);
    chains.get(chainId)!.view.height = height;
    metrics.height.set({ chain_id: chainId }, height);
  };

  return {
    ctx,
    cfg,
    metrics,
    chains,
    outbox,
    publish,
    drainPublishes: () => outbox.settled(),
    slotOf,
    setHeight,
  };
}

/** Runs `fn` when the chain's previous operation has finished (one scan, recheck or probe at a time). */
export function exclusive<T>(state: ChainState, fn: () => Promise<T>): Promise<T> {
  const run = state.lock.then(fn, fn);
  state.lock = run.catch(() => undefined);
  return run;
}
