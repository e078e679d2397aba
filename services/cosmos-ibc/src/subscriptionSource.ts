import { callRpc } from '@tocsin/bus';
import { alerterRpc, type Subjects } from '@tocsin/events';
import type { Logger, ServiceContext } from '@tocsin/runtime';
import type { Pool } from '@tocsin/store';
import { loadSubscriptions, saveSubscriptions, type WalletSubscription } from './store/subscriptionCache.ts';

/** How often the alerter is asked again while the service waits for it at start. */
const STARTUP_RETRY_MS = 250;

/**
 * Wallet subscriptions (`$register`) live in the alerter. We ask it before each scan and keep the answer; when it
 * does not answer (down, restarting, not deployed) the last answer we kept is used, so wallets stay watched.
 * `state.silent` remembers an outage so it is logged once, not every scan.
 *
 * At start the alerter is often a moment behind (`tocsin up`, compose and Kubernetes start everything at once):
 * until it has answered once, and for `startupWaitMs` after the service started, the first scan asks again every
 * 250 ms instead of warning, saying once at info level what it waits for. Only an alerter still silent after that
 * is a warning.
 */
export async function walletSubscriptions(opts: {
  state: { silent: boolean; answered: boolean; startedAt: number; waitLogged?: boolean; stopped?: boolean };
  /** How long after the start the first answer is waited for (real time: the alerter starts in real time). */
  startupWaitMs: number;
  nc: ServiceContext['nc'];
  subjects: Subjects;
  pool: Pool;
  timeoutMs: number;
  nowMs: number;
  log: Logger;
}): Promise<{ subscriptions: WalletSubscription[]; fresh: boolean }> {
  for (;;) {
    const r = await askAlerter(opts);
    if (r.ok) return r.value;
    const waitLeft = opts.state.startedAt + opts.startupWaitMs - Date.now();
    if (opts.state.answered || opts.state.stopped || waitLeft <= 0) return fallBack(opts, r.err);
    if (!opts.state.waitLogged)
      opts.log.info(
        { wait_s: Math.ceil(waitLeft / 1000), err: String(r.err) },
        `waiting up to ${Math.ceil(waitLeft / 1000)} s for the alerter to give wallet subscriptions before the first scan`,
      );
    opts.state.waitLogged = true;
    await new Promise((resolve) => setTimeout(resolve, Math.min(STARTUP_RETRY_MS, waitLeft)));
  }
}

type Options = Parameters<typeof walletSubscriptions>[0];
type Answer = { subscriptions: WalletSubscription[]; fresh: boolean };

async function askAlerter(opts: Options): Promise<{ ok: true; value: Answer } | { ok: false; err: unknown }> {
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
    else if (!opts.state.answered && opts.state.waitLogged)
      opts.log.info('the alerter answered; first scan starts');
    opts.state.silent = false;
    opts.state.answered = true;
    return { ok: true, value: { subscriptions, fresh: true } };
  } catch (err) {
    return { ok: false, err };
  }
}

async function fallBack(opts: Options, err: unknown): Promise<Answer> {
  opts.log[opts.state.silent ? 'debug' : 'warn'](
    { err: String(err) },
    'alerter did not give wallet subscriptions; using the last known ones',
  );
  opts.state.silent = true;
  return { subscriptions: await loadSubscriptions(opts.pool), fresh: false };
}
