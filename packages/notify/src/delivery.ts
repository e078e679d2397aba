import type { Notification } from '@tocsin/events';
import { sha256 } from '@tocsin/runtime';
import type { Pool } from '@tocsin/store';
import { DeliveryLog } from './deliveryLog.ts';
import { type DeliveryContext, DeliveryError, isDeliveryError, type Provider } from './provider.ts';

export interface DeliveryOutcome {
  channel: string;
  state: 'sent' | 'reconciled' | 'skipped' | 'failed';
  ref: string | null;
  reason?: string;
}

export interface DeliverOptions {
  pool: Pool;
  provider: Provider;
  notification: Notification;
  /** Called for each permanent failure (the service publishes a delivery_failed event). */
  onPermanentFailure?(channel: string, err: DeliveryError): Promise<void>;
  /**
   * How long an attempt owns its (notification, channel) before another copy may take over; the consumer's
   * ack wait is the natural value (after it, JetStream hands the message to someone else anyway). Default 30 s.
   */
  leaseMs?: number;
  /**
   * Called once per attempt on a channel: `sent` (also a reconciled crash), `retry` (thrown: the consume loop naks)
   * or `failed` (permanent), with the error when there was one. Channels already done are not attempts.
   */
  onAttempt?(channel: string, result: DeliveryResult, err?: unknown): void;
  /**
   * The notifier's delivery log, shared by its concurrent deliveries so their claims and marks go in batches; a
   * log of this call's own when absent.
   */
  log?: DeliveryLog;
}

export type DeliveryResult = 'sent' | 'retry' | 'failed';

/** Another copy of this message is being delivered right now; retry later (it will then be 'sent'). */
export class DeliveryInProgress extends DeliveryError {
  override readonly name = 'DeliveryInProgress';
  override readonly code = 'delivery_in_progress';
  constructor(channel: string) {
    super(`delivery to ${channel} is in progress elsewhere`, true);
  }
}

export function isDeliveryInProgress(err: unknown): err is DeliveryInProgress {
  return err instanceof DeliveryInProgress;
}

export function attemptIdFor(notifier: string, key: string, channel: string): string {
  return sha256(`${notifier}\u0000${key}\u0000${channel}`, 'hex').slice(0, 25);
}

/**
 * Delivers one notification to each of its channels exactly once. The delivery log row is written as
 * 'attempting' before the provider is called; a redelivered message finds 'sent'/'failed' rows and skips them,
 * and an 'attempting' row (crash mid-send) is resolved by the provider's reconcile before any resend.
 * Retryable errors are thrown (the consume loop naks with backoff); permanent ones are recorded and reported.
 */
export async function deliverNotification(opts: DeliverOptions): Promise<DeliveryOutcome[]> {
  const { pool, provider, notification: n } = opts;
  const log = opts.log ?? new DeliveryLog(pool, provider.name, opts.leaseMs ?? 30_000);
  const outcomes: DeliveryOutcome[] = [];
  // An incident's context alerts (listed, not members) have their own message: not this one's, neither way.
  const context = new Set(n.incident?.context ?? []);
  const episodes = [...new Set(n.alerts.map((a) => a.episode_id))].filter((e) => !context.has(e));
  for (const channel of provider.routes(n)) {
    const attemptId = attemptIdFor(provider.name, n.key, channel);
    // Claim the row: new, or 'attempting' with an expired lease (the attempt before us died). A row that is
    // sent/failed, or whose lease another attempt holds, is not claimed.
    const claim = await log.claim({ key: n.key, channel, attemptId, transition: n.transition, episodes });
    if (!claim.claimed) {
      // No row (another copy is inserting it right now) counts as in progress too.
      if (!claim.current || claim.current.state === 'attempting') {
        const err = new DeliveryInProgress(channel);
        opts.onAttempt?.(channel, 'retry', err);
        throw err;
      }
      outcomes.push({ channel, state: 'skipped', ref: claim.current.ref });
      continue;
    }
    const ctx: DeliveryContext = {
      notification: n,
      channel,
      attemptId,
      priorRefs: claim.priorRefs,
      firstAttemptAt: claim.createdAt,
    };
    try {
      let delivered = claim.attempts > 1 && provider.reconcile ? await provider.reconcile(ctx) : null;
      const reconciled = delivered !== null;
      delivered ??= await provider.deliver(ctx);
      // A flapping alert's card posted anew (its original was gone or never sent) is the one its next edits find.
      const remember = n.transition === 'firing' || n.transition === 'notice' || n.transition === 'flapping';
      await log.markSent({ key: n.key, channel, ref: delivered.ref, episodes: remember ? episodes : [] });
      outcomes.push({ channel, state: reconciled ? 'reconciled' : 'sent', ref: delivered.ref });
      opts.onAttempt?.(channel, 'sent');
    } catch (err) {
      if (isDeliveryError(err) && !err.retry) {
        // Report first (its dedup key is deterministic), then record: a crash in between repeats neither.
        await opts.onPermanentFailure?.(channel, err);
        await pool.query(
          `UPDATE notify_deliveries SET state = 'failed', reason = $4, updated_at = now()
           WHERE notifier = $1 AND notification_key = $2 AND channel = $3`,
          [provider.name, n.key, channel, err.message],
        );
        outcomes.push({ channel, state: 'failed', ref: null, reason: err.message });
        opts.onAttempt?.(channel, 'failed', err);
        continue;
      }
      opts.onAttempt?.(channel, 'retry', err);
      // The attempt is over (only a crash keeps its lease): the retry may start at once and will reconcile.
      await pool
        .query(
          `UPDATE notify_deliveries SET lease_until = now()
           WHERE notifier = $1 AND notification_key = $2 AND channel = $3 AND state = 'attempting'`,
          [provider.name, n.key, channel],
        )
        .catch(() => undefined);
      throw err;
    }
  }
  return outcomes;
}
