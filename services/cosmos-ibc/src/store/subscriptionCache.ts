import type { Pool } from '@tocsin/store';
import { withTransaction } from '@tocsin/store';

export interface WalletSubscription {
  id: string;
  owner: string;
  chainId: string;
  address: string;
  threshold: number | null;
  createdAt: string;
}

/** Replaces the cached subscriptions with what the alerter just gave us. */
export async function saveSubscriptions(
  pool: Pool,
  subs: WalletSubscription[],
  nowMs: number,
): Promise<void> {
  await withTransaction(pool, async (c) => {
    await c.query('DELETE FROM cosmos_ibc_wallet_subscriptions');
    if (!subs.length) return;
    await c.query(
      `INSERT INTO cosmos_ibc_wallet_subscriptions (id, owner, chain_id, address, threshold, created_at, refreshed_at)
       SELECT x.id, x.owner, x.chain_id, x.address, x.threshold, x.created_at, $2
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, owner text, chain_id text, address text,
         threshold double precision, created_at timestamptz)`,
      [
        JSON.stringify(
          subs.map((s) => ({
            id: s.id,
            owner: s.owner,
            chain_id: s.chainId,
            address: s.address,
            threshold: s.threshold,
            created_at: s.createdAt,
          })),
        ),
        new Date(nowMs).toISOString(),
      ],
    );
  });
}

/** The last subscriptions the alerter gave us. */
export async function loadSubscriptions(pool: Pool): Promise<WalletSubscription[]> {
  const { rows } = await pool.query<{
    id: string;
    owner: string;
    chain_id: string;
    address: string;
    threshold: number | null;
    created_at: Date;
  }>('SELECT * FROM cosmos_ibc_wallet_subscriptions ORDER BY chain_id, address, owner');
  return rows.map((r) => ({
    id: r.id,
    owner: r.owner,
    chainId: r.chain_id,
    address: r.address,
    threshold: r.threshold,
    createdAt: r.created_at.toISOString(),
  }));
}
