import { cosmosIbc } from '@tocsin/events';
import { updateClientGauges } from '../ingestorMetrics.ts';
import { type ChainScanOutcome, scanChain } from '../scan/chainScan.ts';
import { loadExpiredClients } from '../store/expiredClients.ts';
import type { WalletSubscription } from '../store/subscriptionCache.ts';
import { pruneBalances } from '../store/walletHistory.ts';
import type { ScanSummary } from '../views.ts';
import { trackedWallets } from '../walletReport.ts';
import { rememberClients, reportClient } from './clients.ts';
import type { ChainState, IngestorCore } from './core.ts';
import { reportWallet } from './wallets.ts';

/**
 * The latest block's time and age when the scan read it: how long the chain has not produced a block (a fact; the
 * alerter's `cosmos-chain-stalled` rule judges it). Clock skew of a block stamped ahead of us reads as 0.
 */
export function blockAge(outcome: Pick<ChainScanOutcome, 'block' | 'blockReadAtMs'>): {
  latest_block_time: string | null;
  block_age_s: number | null;
  catching_up: boolean | null;
} {
  const { block, blockReadAtMs } = outcome;
  if (!block || block.timeMs === null || blockReadAtMs === null)
    return { latest_block_time: null, block_age_s: null, catching_up: block?.catchingUp ?? null };
  return {
    latest_block_time: new Date(block.timeMs).toISOString(),
    block_age_s: Math.max(0, (blockReadAtMs - block.timeMs) / 1000),
    catching_up: block.catchingUp,
  };
}

/**
 * One scan of a chain: its height, every monitored client (expired ones only when due for a re-check) and the
 * tracked wallets, each published as it is read; then what was seen is stored and `scan_completed` published.
 */
export async function scanNow(
  core: IngestorCore,
  state: ChainState,
  subscriptions: WalletSubscription[],
): Promise<ScanSummary> {
  const { ctx, cfg, metrics, publish, drainPublishes } = core;
  const { pool, log, clock } = ctx;
  const chain = state.view.config;
  const chainId = chain.chain_id;
  const startedMs = clock.now();
  const started = performance.now();
  const slot = core.slotOf(chain, startedMs);
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
      clock,
      skip,
      wallets: trackedWallets(chain, subscriptions),
      log,
      logProgress: state.scans === 0,
      progressMinClients: cfg.progress_min_clients,
    },
    {
      height: (h) => core.setHeight(chainId, h),
      client: (o) => reportClient(core, state, o, slot),
      wallet: (w, amount, atMs) => reportWallet(core, state, w, amount, atMs, slot),
    },
  );
  await drainPublishes();
  await rememberClients(core, state, outcome.observed, wasExpired);
  if (outcome.monitored) {
    const gone = [...state.view.clients.keys()].filter((id) => !outcome.monitored!.has(id));
    for (const id of gone) state.view.clients.delete(id);
    if (gone.length)
      await pool.query('DELETE FROM cosmos_ibc_clients WHERE chain_id = $1 AND client_id = ANY($2::text[])', [
        chainId,
        gone,
      ]);
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
    ...blockAge(outcome),
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
