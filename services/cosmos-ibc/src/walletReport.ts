import type { cosmosIbc, EventData } from '@tocsin/events';
import { type BurnRate, toDisplay } from '@tocsin/runtime';
import type { ChainConfig } from './config.ts';
import type { WalletSubscription } from './store/subscriptionCache.ts';

/** A wallet to read on a chain: from the config, from chat subscriptions, or both. */
export interface TrackedWallet {
  chainId: string;
  address: string;
  labels: Record<string, string>;
  subscribers: { owner: string; threshold: number | null }[];
}

/** Config wallets plus subscribed ones on this chain, one entry per address. */
export function trackedWallets(chain: ChainConfig, subscriptions: WalletSubscription[]): TrackedWallet[] {
  const byAddress = new Map<string, TrackedWallet>();
  const entry = (address: string) => {
    let w = byAddress.get(address);
    if (!w) {
      w = { chainId: chain.chain_id, address, labels: {}, subscribers: [] };
      byAddress.set(address, w);
    }
    return w;
  };
  for (const w of chain.wallets) Object.assign(entry(w.address).labels, w.labels);
  for (const s of subscriptions) {
    if (s.chainId !== chain.chain_id) continue;
    const w = entry(s.address);
    if (!w.subscribers.some((x) => x.owner === s.owner))
      w.subscribers.push({ owner: s.owner, threshold: s.threshold });
  }
  return [...byAddress.values()];
}

/** The `wallet_balance` event data. A subscriber without a threshold is listed with 0 (never below it). */
export function walletBalanceData(
  chain: ChainConfig,
  wallet: TrackedWallet,
  amount: bigint,
  burn: BurnRate,
): EventData<typeof cosmosIbc.walletBalance> {
  return {
    address: wallet.address,
    denom: chain.denom,
    display_denom: chain.display_denom,
    amount: amount.toString(),
    display_amount: toDisplay(amount, chain.exponent),
    burn_per_hour: burn.burnPerHour,
    projected_empty_at: burn.projectedEmptyAt,
    projected_empty_s: burn.projectedEmptyS,
    subscribers: wallet.subscribers.map((s) => ({ owner: s.owner, threshold: s.threshold ?? 0 })),
    labels: wallet.labels,
  };
}
