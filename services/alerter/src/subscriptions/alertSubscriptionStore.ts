import { type AlertSubscription, newId } from '@tocsin/events';
import type { Pool, PoolClient } from '@tocsin/store';
import { DEFAULT_AT, DEFAULT_TIMEZONE } from './digestSchedule.ts';

type Q = Pool | PoolClient;

function toAlertSubscription(r: Record<string, unknown>): AlertSubscription {
  return {
    id: r.id as string,
    owner: r.owner as string,
    scope: r.scope as AlertSubscription['scope'],
    value: r.value as string,
    cadence: r.cadence as AlertSubscription['cadence'],
    ...(r.cadence === 'daily' ? { at: r.at as string, timezone: r.timezone as string } : {}),
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

/**
 * Subscribes (or changes the cadence of a subscription); `created` tells which. An owner has one daily time: a
 * daily subscription given `at` (and `timezone`) moves the owner's other daily ones to it; one without joins the
 * owner's current daily time (00:00 UTC for a first one).
 */
export async function upsertAlertSubscription(
  c: PoolClient,
  s: Pick<AlertSubscription, 'owner' | 'scope' | 'value' | 'cadence' | 'at' | 'timezone'>,
  now: number,
): Promise<{ subscription: AlertSubscription; created: boolean }> {
  let at = DEFAULT_AT;
  let timezone = DEFAULT_TIMEZONE;
  if (s.cadence === 'daily' && s.at) {
    at = s.at;
    timezone = s.timezone ?? DEFAULT_TIMEZONE;
    // A new time counts from now, as a new cadence does.
    await c.query(
      `UPDATE alerter_alert_subscriptions SET at = $2, timezone = $3, created_at = $4
       WHERE owner = $1 AND cadence = 'daily' AND (at, timezone) IS DISTINCT FROM ($2, $3)`,
      [s.owner, at, timezone, new Date(now)],
    );
  } else if (s.cadence === 'daily') {
    const r = await c.query(
      `SELECT at, timezone FROM alerter_alert_subscriptions WHERE owner = $1 AND cadence = 'daily'
       ORDER BY created_at DESC, id DESC LIMIT 1`,
      [s.owner],
    );
    if (r.rows[0]) ({ at, timezone } = r.rows[0] as { at: string; timezone: string });
  }
  const r = await c.query(
    `INSERT INTO alerter_alert_subscriptions (id, owner, scope, value, cadence, at, timezone, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (owner, scope, value) DO UPDATE
       SET cadence = EXCLUDED.cadence, at = EXCLUDED.at, timezone = EXCLUDED.timezone,
       -- A new cadence (or daily time) counts from now (its digests do not cover the time before it).
       created_at = CASE WHEN (alerter_alert_subscriptions.cadence, alerter_alert_subscriptions.at,
           alerter_alert_subscriptions.timezone) = (EXCLUDED.cadence, EXCLUDED.at, EXCLUDED.timezone)
         THEN alerter_alert_subscriptions.created_at ELSE EXCLUDED.created_at END
     RETURNING *, (xmax = 0) AS created`,
    [newId(now), s.owner, s.scope, s.value, s.cadence, at, timezone, new Date(now)],
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
