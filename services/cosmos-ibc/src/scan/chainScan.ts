import type { Clock, Logger } from '@tocsin/runtime';
import { balance, type LatestBlock, latestBlock, QUERY } from '../chainQueries.ts';
import type { ClientObservation } from '../clientObservation.ts';
import type { ChainConfig } from '../config.ts';
import type { ChainEndpoints } from '../transport/chainEndpoints.ts';
import type { TrackedWallet } from '../walletReport.ts';
import { monitoredClients, observeClient } from './clientReader.ts';
import { ScanProgress } from './scanProgress.ts';

/** Where a scan's findings go as they arrive (events, storage). */
export interface ScanSink {
  height(height: number): void;
  /** May return a promise to hold the scan back (the events of earlier clients are still being published). */
  client(o: ClientObservation): void | Promise<void>;
  wallet(w: TrackedWallet, amount: bigint, observedAtMs: number): Promise<void>;
}

export interface ChainScanInput {
  chain: ChainConfig;
  endpoints: ChainEndpoints;
  pageSize: number;
  /** Clients read at once; enough to keep every endpoint slot busy with full batches. */
  clientConcurrency: number;
  clock: Clock;
  /** Clients not to read this time (expired, re-check not yet due). */
  skip: ReadonlySet<string>;
  wallets: TrackedWallet[];
  log: Logger;
  /** Log progress lines (the first scan of a chain with many clients). */
  logProgress: boolean;
  progressMinClients: number;
}

export interface ChainScanOutcome {
  height: number | null;
  /** The latest block as the node answered (null when the status query failed), read at `blockReadAtMs`. */
  block: LatestBlock | null;
  blockReadAtMs: number | null;
  /** Client id → open connection ids; undefined when the listing failed (then no client was read). */
  monitored: Map<string, string[]> | undefined;
  observed: ClientObservation[];
  skippedExpired: number;
  failedClients: number;
  wallets: number;
  failedWallets: number;
}

/**
 * One scan of one chain: height, the monitored clients, each client not skipped, then the wallets. A failure
 * costs only the thing that failed; the endpoints report their own failures as they happen.
 */
export async function scanChain(input: ChainScanInput, sink: ScanSink): Promise<ChainScanOutcome> {
  const { chain, endpoints, log } = input;
  const outcome: ChainScanOutcome = {
    height: null,
    block: null,
    blockReadAtMs: null,
    monitored: undefined,
    observed: [],
    skippedExpired: 0,
    failedClients: 0,
    wallets: 0,
    failedWallets: 0,
  };
  try {
    outcome.block = await endpoints.run(QUERY.status, latestBlock);
    outcome.blockReadAtMs = input.clock.now();
    outcome.height = outcome.block.height;
    sink.height(outcome.height);
  } catch (err) {
    log.warn({ chain_id: chain.chain_id, err: String(err) }, 'no block height');
  }

  try {
    outcome.monitored = await monitoredClients(endpoints, chain.connections, input.pageSize);
  } catch (err) {
    log.warn({ chain_id: chain.chain_id, err: String(err) }, 'cannot list connections; clients not scanned');
  }

  if (outcome.monitored) {
    const due = [...outcome.monitored].filter(([id]) => !input.skip.has(id));
    outcome.skippedExpired = outcome.monitored.size - due.length;
    const progress = new ScanProgress(
      log,
      chain.chain_id,
      due.length,
      input.logProgress && due.length >= input.progressMinClients,
    );
    // A window of clients in flight, each worker taking the next client when its own is done: no task per client
    // is created up front, so what a scan holds at once is bounded by the window, not by the number of clients.
    await inWindow(due, input.clientConcurrency, async ([clientId, connectionIds]) => {
      try {
        const o = await observeClient(endpoints, chain.chain_id, clientId, connectionIds, input.clock.now());
        outcome.observed.push(o);
        await sink.client(o);
      } catch (err) {
        outcome.failedClients++;
        log.debug({ chain_id: chain.chain_id, client_id: clientId, err: String(err) }, 'client not read');
      } finally {
        progress.tick();
      }
    });
  }

  await inWindow(input.wallets, input.clientConcurrency, async (w) => {
    try {
      const amount = await endpoints.run(QUERY.balance, (api) => balance(api, w.address, chain.denom));
      await sink.wallet(w, amount, input.clock.now());
      outcome.wallets++;
    } catch (err) {
      outcome.failedWallets++;
      log.warn({ chain_id: chain.chain_id, address: w.address, err: String(err) }, 'wallet not read');
    }
  });
  return outcome;
}

/** Runs `fn` over `items` in order with at most `size` calls in progress. `fn` must not throw. */
async function inWindow<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}
