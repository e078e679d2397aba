import { newId } from '@tocsin/events';
import type { Pool, PoolClient } from '@tocsin/store';
import type { Subscription } from './subscriptionIndex.ts';

function toSubscription(r: Record<string, unknown>): Subscription {
  return {
    id: r.id as string,
    owner: r.owner as string,
    kind: r.kind as Subscription['kind'],
    target: r.target as string,
    chain_id: r.chain_id as string,
    threshold: r.threshold === null ? null : Number(r.threshold),
    created_at: (r.created_at as Date).toISOString(),
  };
}

export async function readSubscriptions(
  q: Pool | PoolClient,
  f: { owner?: string; kind?: string; chain_id?: string; target?: string } = {},
): Promise<Subscription[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    args.push(v);
    where.push(`${k} = $${args.length}`);
  }
  const r = await q.query(
    `SELECT * FROM alerter_subscriptions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`,
    args,
  );
  return r.rows.map(toSubscription);
}

/** Registers (or updates the threshold of) a subscription; `created` tells which. */
export async function upsertSubscription(
  c: PoolClient,
  s: Omit<Subscription, 'id' | 'created_at'>,
  now: number,
): Promise<{ subscription: Subscription; created: boolean }> {
  const r = await c.query(
    `INSERT INTO alerter_subscriptions (id, owner, kind, target, chain_id, threshold, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (owner, kind, target, chain_id) DO UPDATE SET threshold = EXCLUDED.threshold
     RETURNING *, (xmax = 0) AS created`,
    [newId(now), s.owner, s.kind, s.target, s.chain_id, s.threshold, new Date(now)],
  );
  return { subscription: toSubscription(r.rows[0]), created: r.rows[0].created as boolean };
}

export async function deleteSubscriptions(c: PoolClient, ids: string[]): Promise<number> {
  if (!ids.length) return 0;
  const r = await c.query('DELETE FROM alerter_subscriptions WHERE id = ANY($1)', [ids]);
  return r.rowCount ?? 0;
}
