import { cosmosIbc, system } from '@tocsin/events';
import { displayOf, redactUrl, type ServiceContext } from '@tocsin/runtime';
import { burnRate } from './burnRate.ts';
import { latestBlockHeight, QUERY } from './chainQueries.ts';
import {
  type ClientObservation,
  clientStatusData,
  clientStatusKey,
  clientUpdate,
} from './clientObservation.ts';
import type { ChainConfig, CosmosIbcConfig } from './config.ts';
import { createIngestorMetrics, updateClientGauges } from './ingestorMetrics.ts';
import { createPublishQueue } from './publishQueue.ts';
import { scanChain } from './scan/chainScan.ts';
import { observeClient } from './scan/clientReader.ts';
import { loadClientRecords, saveClientRecords } from './store/clientRecords.ts';
import { loadExpiredClients, recordExpiryChecks } from './store/expiredClients.ts';
import type { WalletSubscription } from './store/subscriptionCache.ts';
import { pruneBalances, recordBalance } from './store/walletHistory.ts';
import { walletSubscriptions } from './subscriptionSource.ts';
import { ChainEndpoints, type FailureReport } from './transport/chainEndpoints.ts';
import type { ChainView, CosmosIbcIngestor, ScanSummary } from './views.ts';
import { type TrackedWallet, trackedWallets, walletBalanceData } from './walletReport.ts';

export type { ChainView, CosmosIbcIngestor, ScanSummary, WalletView } from './views.ts';

interface ChainState {
  view: ChainView;
  endpoints: ChainEndpoints;
  /** One operation (scan, recheck, start probe) at a time per chain. */
  lock: Promise<unknown>;
  scans: number;
  failures: number;
}

export async function createIngestor(
  ctx: ServiceContext<CosmosIbcConfig>,
  version: string,
): Promise<CosmosIbcIngestor> {
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
    now: () => clock.now(),
  });
  const publish = outbox.publish;
  /** Waits until every event published so far is acknowledged (or held for retry while NATS is away). */
  const drainPublishes = () => outbox.settled();

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

  const stateOf = (chainId: string): ChainState => {
    const s = chains.get(chainId);
    if (!s) throw new UnknownChain(chainId);
    return s;
  };
  const exclusive = <T>(state: ChainState, fn: () => Promise<T>): Promise<T> => {
    const run = state.lock.then(fn, fn);
    state.lock = run.catch(() => undefined);
    return run;
  };
  const setHeight = (chainId: string, height: number) => {
    ctx.heights.set(chainId, height);
    chains.get(chainId)!.view.height = height;
    metrics.height.set({ chain_id: chainId }, height);
  };

  /** Publishes a client's events; the result, when there is one, is to be awaited (the backlog is full). */
  const reportClient = (state: ChainState, o: ClientObservation, slot: number) => {
    const chainId = state.view.config.chain_id;
    publish(cosmosIbc.clientStatus, chainId, clientStatusKey(o, slot), clientStatusData(o));
    const update = clientUpdate(state.view.clients.get(o.clientId), o);
    if (update) publish(cosmosIbc.clientUpdated, chainId, update.key, update.data);
    return outbox.room();
  };

  const rememberClients = async (
    state: ChainState,
    observed: ClientObservation[],
    wasExpired: Set<string>,
  ) => {
    const chainId = state.view.config.chain_id;
    await saveClientRecords(pool, observed);
    await recordExpiryChecks(
      pool,
      chainId,
      observed
        .filter((o) => o.status === 'Expired' || wasExpired.has(o.clientId))
        .map((o) => ({ clientId: o.clientId, expired: o.status === 'Expired' })),
      clock.now(),
    );
    for (const o of observed) state.view.clients.set(o.clientId, o);
  };

  async function scanNow(state: ChainState, subscriptions: WalletSubscription[]): Promise<ScanSummary> {
    const chain = state.view.config;
    const chainId = chain.chain_id;
    const startedMs = clock.now();
    const started = performance.now();
    const slot = slotOf(chain, startedMs);
    state.endpoints.beginScan();
    state.failures = 0;
    const expired = await loadExpiredClients(pool, chainId);
    const skip = new Set(
      expired
        .filter((e) => e.lastCheckedAtMs + cfg.recheck_expired_interval > startedMs)
        .map((e) => e.clientId),
    );
    const wasExpired = new Set(expired.map((e) => e.clientId));

    const outcome = await scanChain(
      {
        chain,
        endpoints: state.endpoints,
        pageSize: cfg.page_size,
        clientConcurrency: cfg.max_concurrency_per_endpoint * cfg.batch_size,
        now: () => clock.now(),
        skip,
        wallets: trackedWallets(chain, subscriptions),
        log,
        logProgress: state.scans === 0,
        progressMinClients: cfg.progress_min_clients,
      },
      {
        height: (h) => setHeight(chainId, h),
        client: (o) => reportClient(state, o, slot),
        wallet: (w, amount, atMs) => reportWallet(state, w, amount, atMs, slot),
      },
    );
    await drainPublishes();
    await rememberClients(state, outcome.observed, wasExpired);
    if (outcome.monitored) {
      const gone = [...state.view.clients.keys()].filter((id) => !outcome.monitored!.has(id));
      for (const id of gone) state.view.clients.delete(id);
      if (gone.length)
        await pool.query(
          'DELETE FROM cosmos_ibc_clients WHERE chain_id = $1 AND client_id = ANY($2::text[])',
          [chainId, gone],
        );
    }
    await pruneBalances(pool, clock.now() - cfg.wallet_history);
    state.view.scannedAtMs = startedMs;
    state.scans++;

    const durationMs = performance.now() - started;
    const errors = state.failures + outcome.failedClients + outcome.failedWallets;
    metrics.scanDuration.observe({ chain_id: chainId }, durationMs / 1000);
    updateClientGauges(metrics, chainId, state.view.clients.values(), clock.now());
    publish(cosmosIbc.scanCompleted, chainId, `${chainId}:${startedMs}:${ctx.instance}`, {
      clients: outcome.observed.length,
      wallets: outcome.wallets,
      errors,
      skipped_expired: outcome.skippedExpired,
      duration_ms: durationMs,
      height: outcome.height,
    });
    await drainPublishes();
    log.info(
      {
        chain_id: chainId,
        clients: outcome.observed.length,
        skipped_expired: outcome.skippedExpired,
        wallets: outcome.wallets,
        errors,
        duration_ms: Math.round(durationMs),
      },
      'scan completed',
    );
    return {
      chainId,
      height: outcome.height,
      clients: outcome.observed.length,
      skippedExpired: outcome.skippedExpired,
      wallets: outcome.wallets,
      errors,
      durationMs,
    };
  }

  async function reportWallet(
    state: ChainState,
    w: TrackedWallet,
    amount: bigint,
    atMs: number,
    slot: number,
  ) {
    const chain = state.view.config;
    const samples = await recordBalance(
      pool,
      { chainId: chain.chain_id, address: w.address, denom: chain.denom },
      { atMs, amount },
      atMs - cfg.burn_window,
    );
    const data = walletBalanceData(
      chain,
      w,
      amount,
      burnRate(samples, atMs, cfg.burn_window, chain.exponent),
    );
    metrics.walletBalance.set(
      { chain_id: chain.chain_id, address: w.address, denom: chain.denom },
      data.display_amount,
    );
    state.view.wallets.set(w.address, {
      chainId: chain.chain_id,
      address: w.address,
      data,
      observedAtMs: atMs,
    });
    publish(
      cosmosIbc.walletBalance,
      chain.chain_id,
      `${chain.chain_id}:${w.address}:${chain.denom}:${amount}:${slot}`,
      data,
    );
    await outbox.room();
  }

  const alerterState = { silent: false, answered: false, startedAt: Date.now(), stopped: false };
  const subscriptionsNow = async () =>
    (
      await walletSubscriptions({
        state: alerterState,
        nc: ctx.nc,
        subjects: ctx.subjects,
        pool,
        timeoutMs: cfg.subscriptions_timeout,
        startupWaitMs: cfg.subscriptions_startup_wait,
        nowMs: clock.now(),
        log,
      })
    ).subscriptions;

  async function recheckChain(state: ChainState, clientId?: string): Promise<number> {
    const chainId = state.view.config.chain_id;
    const expired = (await loadExpiredClients(pool, chainId)).filter(
      (e) => !clientId || e.clientId === clientId,
    );
    if (!expired.length) return 0;
    state.endpoints.beginScan();
    const slot = slotOf(state.view.config, clock.now());
    const observed: ClientObservation[] = [];
    await Promise.all(
      expired.map(async (e) => {
        const connections = state.view.clients.get(e.clientId)?.connectionIds ?? [];
        try {
          const o = await observeClient(state.endpoints, chainId, e.clientId, connections, clock.now());
          observed.push(o);
          await reportClient(state, o, slot);
        } catch (err) {
          log.warn(
            { chain_id: chainId, client_id: e.clientId, err: String(err) },
            'expired client not re-checked',
          );
        }
      }),
    );
    await drainPublishes();
    await rememberClients(state, observed, new Set(expired.map((e) => e.clientId)));
    log.info(
      {
        chain_id: chainId,
        rechecked: observed.length,
        alive: observed.filter((o) => o.status !== 'Expired').length,
      },
      'expired clients re-checked',
    );
    return observed.length;
  }

  const announced = (async () => {
    const watches = await Promise.all(
      [...chains.values()].map((state) =>
        exclusive(state, async () => {
          const chain = state.view.config;
          state.endpoints.beginScan();
          const height = await state.endpoints.run(QUERY.status, latestBlockHeight).catch(() => null);
          if (height !== null) setHeight(chain.chain_id, height);
          const what = chain.connections.length
            ? `${chain.connections.length} configured connections`
            : 'all open connections';
          return {
            chain_id: chain.chain_id,
            endpoints: chain.rpc.map(redactUrl),
            height,
            detail: `${chain.name ?? chain.chain_id}: clients of ${what}, ${chain.wallets.length} configured wallets, every ${chain.scan_interval / 1000} s`,
          };
        }),
      ),
    );
    const startedMs = clock.now();
    publish(system.serviceStarted, '-', `cosmos-ibc:${ctx.instance}:${startedMs}`, {
      service: 'cosmos-ibc',
      version,
      watches,
      ...displayOf(ctx.config),
    });
    await drainPublishes();
  })();

  return {
    announced,
    async scanOnce(chainId) {
      const targets = chainId ? [stateOf(chainId)] : [...chains.values()];
      const subscriptions = await subscriptionsNow();
      return Promise.all(targets.map((state) => exclusive(state, () => scanNow(state, subscriptions))));
    },
    async recheck(chainId, clientId) {
      const targets = chainId ? [stateOf(chainId)] : [...chains.values()];
      const counts = await Promise.all(
        targets.map((state) => exclusive(state, () => recheckChain(state, clientId))),
      );
      return counts.reduce((a, b) => a + b, 0);
    },
    views: () => [...chains.values()].map((s) => s.view),
    endpoints: (chainId) => stateOf(chainId).endpoints,
    async close() {
      alerterState.stopped = true;
      for (const s of chains.values()) s.endpoints.close();
      await Promise.all([...chains.values()].map((s) => s.lock));
      await outbox.close();
    },
  };
}

export class UnknownChain extends Error {
  override readonly name = 'UnknownChain';
  readonly code = 'unknown_chain';
  constructor(readonly chainId: string) {
    super(`chain "${chainId}" is not configured`);
  }
}

export function isUnknownChain(err: unknown): err is UnknownChain {
  return err instanceof UnknownChain;
}
