import type { Pool } from '@tocsin/store';

/** What was last announced about a consumer, so each fact is published once per change. */
export interface Announced {
  spawn?: string;
  selection?: string;
  initialSetChecked?: boolean;
  wouldOptIn?: string;
  optInSubmitted?: string;
  /** The consumer's own chain: stalled:channel open:channel missing:valset stale:reachable, as last published. */
  health?: string;
  /** Since when (ms) the consumer's validator set differs from the one the provider last sent. */
  valsetDiffSince?: number;
}

/** A consumer as tocsin knows it: the provider's state at the last sync. */
export interface ConsumerContext {
  consumerId: string;
  chainId: string;
  name: string;
  owner: string;
  phase: string;
  spawnTimeMs: number | null;
  clientId: string;
  initParams: Record<string, unknown>;
  optedIn: string[];
  keys: Record<string, string>;
  announced: Announced;
}

export async function loadContexts(
  pool: Pool,
  providerChainId: string,
): Promise<Map<string, ConsumerContext>> {
  const { rows } = await pool.query<{
    consumer_id: string;
    chain_id: string;
    name: string;
    owner: string;
    phase: string;
    spawn_time: Date | null;
    client_id: string;
    init_params: Record<string, unknown>;
    opted_in: string[];
    key_assignments: Record<string, string>;
    announced: Announced;
  }>('SELECT * FROM ics_ccv_consumers WHERE provider_chain_id = $1', [providerChainId]);
  return new Map(
    rows.map((r) => [
      r.consumer_id,
      {
        consumerId: r.consumer_id,
        chainId: r.chain_id,
        name: r.name,
        owner: r.owner,
        phase: r.phase,
        spawnTimeMs: r.spawn_time ? r.spawn_time.getTime() : null,
        clientId: r.client_id,
        initParams: r.init_params,
        optedIn: r.opted_in,
        keys: r.key_assignments,
        announced: r.announced,
      },
    ]),
  );
}

export async function saveContexts(
  pool: Pool,
  providerChainId: string,
  contexts: Iterable<ConsumerContext>,
  nowMs: number,
): Promise<void> {
  for (const c of contexts) {
    await pool.query(
      `INSERT INTO ics_ccv_consumers (provider_chain_id, consumer_id, chain_id, name, owner, phase, spawn_time,
         client_id, init_params, opted_in, key_assignments, announced, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (provider_chain_id, consumer_id) DO UPDATE SET chain_id = $3, name = $4, owner = $5, phase = $6,
         spawn_time = $7, client_id = $8, init_params = $9, opted_in = $10, key_assignments = $11, announced = $12,
         updated_at = $13`,
      [
        providerChainId,
        c.consumerId,
        c.chainId,
        c.name,
        c.owner,
        c.phase,
        c.spawnTimeMs === null ? null : new Date(c.spawnTimeMs),
        c.clientId,
        JSON.stringify(c.initParams),
        c.optedIn,
        JSON.stringify(c.keys),
        JSON.stringify(c.announced),
        new Date(nowMs),
      ],
    );
  }
}
