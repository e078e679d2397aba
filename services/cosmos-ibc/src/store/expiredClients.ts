import type { Pool } from '@tocsin/store';

export interface ExpiredClient {
  chainId: string;
  clientId: string;
  expiredSeenAtMs: number;
  lastCheckedAtMs: number;
}

/**
 * Expired clients (the original bot's `expired_clients.py`, in PostgreSQL): a scan skips them until their
 * re-check is due; a re-check that finds one alive again removes it.
 */
export async function loadExpiredClients(pool: Pool, chainId?: string): Promise<ExpiredClient[]> {
  const { rows } = await pool.query<{
    chain_id: string;
    client_id: string;
    expired_seen_at: Date;
    last_checked_at: Date;
  }>(
    `SELECT * FROM cosmos_ibc_expired_clients WHERE ($1::text IS NULL OR chain_id = $1) ORDER BY chain_id, client_id`,
    [chainId ?? null],
  );
  return rows.map((r) => ({
    chainId: r.chain_id,
    clientId: r.client_id,
    expiredSeenAtMs: r.expired_seen_at.getTime(),
    lastCheckedAtMs: r.last_checked_at.getTime(),
  }));
}

/** Records what a check found: Expired clients are (still) remembered, any other status forgets them. */
export async function recordExpiryChecks(
  pool: Pool,
  chainId: string,
  checks: { clientId: string; expired: boolean }[],
  nowMs: number,
): Promise<void> {
  if (!checks.length) return;
  const now = new Date(nowMs).toISOString();
  const expired = checks.filter((c) => c.expired).map((c) => c.clientId);
  const alive = checks.filter((c) => !c.expired).map((c) => c.clientId);
  if (expired.length) {
    await pool.query(
      `INSERT INTO cosmos_ibc_expired_clients (chain_id, client_id, expired_seen_at, last_checked_at)
       SELECT $1, unnest($2::text[]), $3, $3
       ON CONFLICT (chain_id, client_id) DO UPDATE SET last_checked_at = EXCLUDED.last_checked_at`,
      [chainId, expired, now],
    );
  }
  if (alive.length) {
    await pool.query(
      `DELETE FROM cosmos_ibc_expired_clients WHERE chain_id = $1 AND client_id = ANY($2::text[])`,
      [chainId, alive],
    );
  }
}
