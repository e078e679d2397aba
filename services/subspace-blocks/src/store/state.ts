import type { BalanceSample } from '@tocsin/runtime';
import type { Pool } from '@tocsin/store';
import type { ForkState } from '../fork/forkMonitor.ts';
import type { WindowState } from '../windows.ts';

/** A transfer or sudo reported from a block: retracted if the block leaves the best chain. */
export interface Reported {
  type: 'transfer' | 'sudo';
  key: string;
  height: number;
  extrinsic: number | null;
  event: number | null;
  id: string;
}

export interface IngestorState {
  fork: ForkState;
  windows: WindowState;
  /** Block hash → what was reported from it. */
  reported: [string, Reported[]][];
  /** Block hash → chain time (ms) of recent checked blocks, for chain_time_gap. */
  times: [string, number][];
  specVersion: number | null;
  checkedBlocks: number;
}

export async function loadState(
  pool: Pool,
  chainId: string,
  instance: string,
): Promise<IngestorState | null> {
  const { rows } = await pool.query<{ state: IngestorState }>(
    'SELECT state FROM subspace_blocks_state WHERE chain_id = $1 AND instance = $2',
    [chainId, instance],
  );
  return rows[0]?.state ?? null;
}

export async function saveState(
  pool: Pool,
  chainId: string,
  instance: string,
  state: IngestorState,
  atMs: number,
): Promise<void> {
  await pool.query(
    `INSERT INTO subspace_blocks_state (chain_id, instance, state, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (chain_id, instance) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
    [chainId, instance, JSON.stringify(state), new Date(atMs).toISOString()],
  );
}

/** Adds a balance sample and returns the address' samples since `sinceMs`, oldest first. */
export async function recordBalance(
  pool: Pool,
  chainId: string,
  address: string,
  sample: BalanceSample,
  sinceMs: number,
): Promise<BalanceSample[]> {
  await pool.query(
    `INSERT INTO subspace_blocks_balances (chain_id, address, observed_at, free) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING`,
    [chainId, address, new Date(sample.atMs).toISOString(), sample.amount.toString()],
  );
  await pool.query(
    'DELETE FROM subspace_blocks_balances WHERE chain_id = $1 AND address = $2 AND observed_at < $3',
    [chainId, address, new Date(sinceMs).toISOString()],
  );
  const { rows } = await pool.query<{ observed_at: Date; free: string }>(
    `SELECT observed_at, free::text FROM subspace_blocks_balances
     WHERE chain_id = $1 AND address = $2 AND observed_at >= $3 ORDER BY observed_at`,
    [chainId, address, new Date(sinceMs).toISOString()],
  );
  return rows.map((r) => ({ atMs: r.observed_at.getTime(), amount: BigInt(r.free) }));
}
