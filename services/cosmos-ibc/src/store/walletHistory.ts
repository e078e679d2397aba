import type { BalanceSample } from '@tocsin/runtime';
import type { Pool } from '@tocsin/store';

export interface WalletKey {
  chainId: string;
  address: string;
  denom: string;
}

/** Adds a balance sample and returns the wallet's samples since `sinceMs`, oldest first. */
export async function recordBalance(
  pool: Pool,
  key: WalletKey,
  sample: BalanceSample,
  sinceMs: number,
): Promise<BalanceSample[]> {
  await pool.query(
    `INSERT INTO cosmos_ibc_wallet_balances (chain_id, address, denom, observed_at, amount)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [key.chainId, key.address, key.denom, new Date(sample.atMs).toISOString(), sample.amount.toString()],
  );
  const { rows } = await pool.query<{ observed_at: Date; amount: string }>(
    `SELECT observed_at, amount::text FROM cosmos_ibc_wallet_balances
     WHERE chain_id = $1 AND address = $2 AND denom = $3 AND observed_at >= $4 ORDER BY observed_at`,
    [key.chainId, key.address, key.denom, new Date(sinceMs).toISOString()],
  );
  return rows.map((r) => ({ atMs: r.observed_at.getTime(), amount: BigInt(r.amount) }));
}

/** A wallet's samples since `sinceMs`, oldest first (the console's balance chart). */
export async function readBalances(pool: Pool, key: WalletKey, sinceMs: number): Promise<BalanceSample[]> {
  const { rows } = await pool.query<{ observed_at: Date; amount: string }>(
    `SELECT observed_at, amount::text FROM cosmos_ibc_wallet_balances
     WHERE chain_id = $1 AND address = $2 AND denom = $3 AND observed_at >= $4 ORDER BY observed_at LIMIT 10000`,
    [key.chainId, key.address, key.denom, new Date(sinceMs).toISOString()],
  );
  return rows.map((r) => ({ atMs: r.observed_at.getTime(), amount: BigInt(r.amount) }));
}

/** Forgets samples older than the retention. */
export async function pruneBalances(pool: Pool, olderThanMs: number): Promise<number> {
  const r = await pool.query('DELETE FROM cosmos_ibc_wallet_balances WHERE observed_at < $1', [
    new Date(olderThanMs).toISOString(),
  ]);
  return r.rowCount ?? 0;
}
