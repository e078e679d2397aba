import { callRpc } from '@tocsin/bus';
import { alerterRpc, type Subjects } from '@tocsin/events';
import type { Logger, ServiceContext } from '@tocsin/runtime';
import type { Pool } from '@tocsin/store';
import { loadSubscriptions, saveSubscriptions, type WalletSubscription } from './store/subscriptionCache.ts';

/**
 * Wallet subscriptions (`$register`) live in the alerter. We ask it before each scan and keep the answer; when it
 * does not answer (down, restarting, not deployed) the last answer we kept is used, so wallets stay watched.
 * `state.silent` remembers an outage so it is logged once, not every scan.
 */
export async function walletSubscriptions(opts: {
  state: { silent: boolean };
  nc: ServiceContext['nc'];
  subjects: Subjects;
  pool: Pool;
  timeoutMs: number;
  nowMs: number;
  log: Logger;
}): Promise<{ subscriptions: WalletSubscription[]; fresh: boolean }> {
  try {
    const raw = await callRpc(
      opts.nc,
      opts.subjects.rpc('alerter', 'subscriptions'),
      { kind: 'wallet' },
      opts.timeoutMs,
    );
    const parsed = alerterRpc.subscriptions.result.parse(raw);
    const subscriptions = parsed.subscriptions
      .filter((s) => s.kind === 'wallet')
      .map((s) => ({
        id: s.id,
        owner: s.owner,
        chainId: s.chain_id,
        address: s.target,
        threshold: s.threshold,
        createdAt: s.created_at,
      }));
    await saveSubscriptions(opts.pool, subscriptions, opts.nowMs);
    if (opts.state.silent) opts.log.info('the alerter answers again; wallet subscriptions refreshed');
    opts.state.silent = false;
    return { subscriptions, fresh: true };
  } catch (err) {
    opts.log[opts.state.silent ? 'debug' : 'warn'](
      { err: String(err) },
      'alerter did not give wallet subscriptions; using the last known ones',
    );
    opts.state.silent = true;
    return { subscriptions: await loadSubscriptions(opts.pool), fresh: false };
  }
}
