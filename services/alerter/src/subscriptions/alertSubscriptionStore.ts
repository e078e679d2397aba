import { type AlertSubscription, newId } from '@tocsin/events';
import type { Pool, PoolClient } from '@tocsin/store';

type Q = Pool | PoolClient;

function toAlertSubscription(r: Record<string, unknown>): AlertSubscription {
  return {
    id: r.id as string,
    owner: r.owner as string,
    scope: r.scope as AlertSubscription['scope'],
    value: r.value as string,
    cadence: r.cadence as AlertSubscription['cadence'],
    created_at: (r.created_at as Date).toISOString(),
  };
}

/** Every subscription (the cache), or one owner's. */
export async function readAlertSubscriptions(q: Q, owner?: string): Promise<AlertSubscription[]> {
  const r = await q.query(
    `SELECT * FROM alerter_alert_subscriptions ${owner ? 'WHERE owner = $1' : ''} ORDER BY created_at, id`,
    owner ? [owner] : [],
  );
  return r.rows.map(toAlertSubscription);
}

/** Subscribes (or changes the cadence of a subscription); `created` tells which. */
export async function upsertAlertSubscription(
  c: PoolClient,
  s: Pick<AlertSubscription, 'owner' | 'scope' | 'value' | 'cadence'>,
  now: number,
): Promise<{ subscription: AlertSubscription; created: boolean }> {
  const r = await c.query(
    `INSERT INTO alerter_alert_subscriptions (id, owner, scope, value, cadence, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (owner, scope, value) DO UPDATE SET cadence = EXCLUDED.cadence,
       -- A new cadence counts from now (its digests do not cover the time before it).
       created_at = CASE WHEN alerter_alert_subscriptions.cadence = EXCLUDED.cadence
         THEN alerter_alert_subscriptions.created_at ELSE EXCLUDED.created_at END
     RETURNING *, (xmax = 0) AS created`,
    [newId(now), s.owner, s.scope, s.value, s.cadence, new Date(now)],
  );
  return { subscription: toAlertSubscription(r.rows[0]), created: r.rows[0].created as boolean };
}

/** Removes an owner's subscriptions to a value (of one scope, or both). */
export async function deleteAlertSubscriptions(
  c: PoolClient,
  owner: string,
  value: string,
  scope?: AlertSubscription['scope'],
): Promise<number> {
  const r = await c.query(
    `DELETE FROM alerter_alert_subscriptions WHERE owner = $1 AND value = $2 ${scope ? 'AND scope = $3' : ''}`,
    scope ? [owner, value, scope] : [owner, value],
  );
  return r.rowCount ?? 0;
}
