import type { ServiceContext } from '@tocsin/runtime';
import type { CosmosIbcConfig } from './config.ts';
import { announceStart } from './ingest/announce.ts';
import { type ChainState, createIngestorCore, exclusive } from './ingest/core.ts';
import { recheckChain } from './ingest/recheck.ts';
import { scanNow } from './ingest/scan.ts';
import { walletSubscriptionSource } from './ingest/wallets.ts';
import type { CosmosIbcIngestor } from './views.ts';

export type { ChainView, CosmosIbcIngestor, ScanSummary, WalletView } from './views.ts';

/**
 * The cosmos-ibc ingestor, one stage per file under ingest/: the chains and the way out (core), the start
 * announcement (announce), scans (scan, which reports through clients and wallets), re-checks of expired clients
 * (recheck). Operations on one chain run one at a time.
 */
export async function createIngestor(
  ctx: ServiceContext<CosmosIbcConfig>,
  version: string,
): Promise<CosmosIbcIngestor> {
  const core = await createIngestorCore(ctx);
  const { chains } = core;
  const subscriptions = walletSubscriptionSource(core);

  const stateOf = (chainId: string): ChainState => {
    const s = chains.get(chainId);
    if (!s) throw new UnknownChain(chainId);
    return s;
  };

  const announced = announceStart(core, version);

  return {
    announced,
    async scanOnce(chainId) {
      const targets = chainId ? [stateOf(chainId)] : [...chains.values()];
      const wallets = await subscriptions.now();
      return Promise.all(targets.map((state) => exclusive(state, () => scanNow(core, state, wallets))));
    },
    async recheck(chainId, clientId) {
      const targets = chainId ? [stateOf(chainId)] : [...chains.values()];
      const counts = await Promise.all(
        targets.map((state) => exclusive(state, () => recheckChain(core, state, clientId))),
      );
      return counts.reduce((a, b) => a + b, 0);
    },
    views: () => [...chains.values()].map((s) => s.view),
    endpoints: (chainId) => stateOf(chainId).endpoints,
    async close() {
      subscriptions.stop();
      for (const s of chains.values()) s.endpoints.close();
      await Promise.all([...chains.values()].map((s) => s.lock));
      await core.outbox.close();
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
