import type { Pool } from '@tocsin/store';
import type { ClientObservation } from '../clientObservation.ts';

/** The latest observation of each client, as stored. */
export async function loadClientRecords(pool: Pool): Promise<ClientObservation[]> {
  const { rows } = await pool.query<{
    chain_id: string;
    client_id: string;
    client_type: string;
    counterparty_chain_id: string | null;
    connection_ids: string[];
    status: string;
    trusting_period_s: number | null;
    revision_number: string | null;
    revision_height: string | null;
    last_update: Date | null;
    observed_at: Date;
  }>('SELECT * FROM cosmos_ibc_clients ORDER BY chain_id, client_id');
  return rows.map((r) => ({
    chainId: r.chain_id,
    clientId: r.client_id,
    clientType: r.client_type,
    counterpartyChainId: r.counterparty_chain_id,
    connectionIds: r.connection_ids,
    status: r.status as ClientObservation['status'],
    trustingPeriodS: r.trusting_period_s,
    latestHeight:
      r.revision_number === null || r.revision_height === null
        ? null
        : { revisionNumber: BigInt(r.revision_number), revisionHeight: BigInt(r.revision_height) },
    lastUpdateMs: r.last_update?.getTime() ?? null,
    observedAtMs: r.observed_at.getTime(),
  }));
}

/** Stores a scan's observations in one statement per chunk. */
export async function saveClientRecords(pool: Pool, observations: ClientObservation[]): Promise<void> {
  for (let i = 0; i < observations.length; i += 1000) {
    const chunk = observations.slice(i, i + 1000);
    await pool.query(
      `INSERT INTO cosmos_ibc_clients AS c
         (chain_id, client_id, client_type, counterparty_chain_id, connection_ids, status, trusting_period_s,
          revision_number, revision_height, last_update, observed_at)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
          chain_id text, client_id text, client_type text, counterparty_chain_id text, connection_ids text[],
          status text, trusting_period_s double precision, revision_number numeric, revision_height numeric,
          last_update timestamptz, observed_at timestamptz)
       ON CONFLICT (chain_id, client_id) DO UPDATE SET
         client_type = EXCLUDED.client_type, counterparty_chain_id = EXCLUDED.counterparty_chain_id,
         connection_ids = EXCLUDED.connection_ids, status = EXCLUDED.status,
         trusting_period_s = EXCLUDED.trusting_period_s, revision_number = EXCLUDED.revision_number,
         revision_height = EXCLUDED.revision_height, last_update = EXCLUDED.last_update,
         observed_at = EXCLUDED.observed_at
       WHERE c.observed_at <= EXCLUDED.observed_at`,
      [
        JSON.stringify(
          chunk.map((o) => ({
            chain_id: o.chainId,
            client_id: o.clientId,
            client_type: o.clientType,
            counterparty_chain_id: o.counterpartyChainId,
            connection_ids: o.connectionIds,
            status: o.status,
            trusting_period_s: o.trustingPeriodS,
            revision_number: o.latestHeight?.revisionNumber.toString() ?? null,
            revision_height: o.latestHeight?.revisionHeight.toString() ?? null,
            last_update: o.lastUpdateMs === null ? null : new Date(o.lastUpdateMs).toISOString(),
            observed_at: new Date(o.observedAtMs).toISOString(),
          })),
        ),
      ],
    );
  }
}
