import { cosmosIbc } from '@tocsin/events';
import { burnRate } from '../burnRate.ts';
import type { WalletSubscription } from '../store/subscriptionCache.ts';
import { recordBalance } from '../store/walletHistory.ts';
import { walletSubscriptions } from '../subscriptionSource.ts';
import { type TrackedWallet, walletBalanceData } from '../walletReport.ts';
import type { ChainState, IngestorCore } from './core.ts';

/** Records a wallet's balance, works out its burn rate over the configured window and publishes both. */
export async function reportWallet(
  core: IngestorCore,
  state: ChainState,
  w: TrackedWallet,
  amount: bigint,
  atMs: number,
  slot: number,
) {
  const { cfg, metrics } = core;
  const chain = state.view.config;
  const samples = await recordBalance(
    core.ctx.pool,
    { chainId: chain.chain_id, address: w.address, denom: chain.denom },
    { atMs, amount },
    atMs - cfg.burn_window,
  );
  const data = walletBalanceData(chain, w, amount, burnRate(samples, atMs, cfg.burn_window, chain.exponent));
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
  core.publish(
    cosmosIbc.walletBalance,
    chain.chain_id,
    `${chain.chain_id}:${w.address}:${chain.denom}:${amount}:${slot}`,
    data,
  );
  await core.outbox.room();
}

/** The wallets people subscribed to through chat, asked of the alerter before each scan. */
export function walletSubscriptionSource(core: IngestorCore) {
  const { ctx, cfg } = core;
  const alerterState = { silent: false, answered: false, startedAt: Date.now(), stopped: false };
  return {
    async now(): Promise<WalletSubscription[]> {
      return (
        await walletSubscriptions({
          state: alerterState,
          nc: ctx.nc,
          subjects: ctx.subjects,
          pool: ctx.pool,
          timeoutMs: cfg.subscriptions_timeout,
          startupWaitMs: cfg.subscriptions_startup_wait,
          nowMs: ctx.clock.now(),
          log: ctx.log,
        })
      ).subscriptions;
    },
    stop() {
      alerterState.stopped = true;
    },
  };
}
