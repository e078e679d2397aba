import { cosmosIbc } from '@tocsin/events';
import type { Harness } from './harness.ts';

/** A client_status fact as the cosmos-ibc ingestor reports it. */
export function clientStatus(
  clientId: string,
  o: {
    trusting?: number;
    elapsed: number;
    status?: 'Active' | 'Expired' | 'Frozen';
    height?: number;
    counterparty?: string;
  },
) {
  const trusting = o.trusting ?? 51_800;
  return {
    client_id: clientId,
    client_type: '07-tendermint',
    counterparty_chain_id: o.counterparty ?? 'osmosis-1',
    connection_ids: ['connection-0'],
    status: o.status ?? 'Active',
    trusting_period_s: trusting,
    latest_height: { revision_number: '1', revision_height: String(o.height ?? 100) },
    last_update: '2026-11-20T00:00:00Z',
    elapsed_s: o.elapsed,
    elapsed_ratio: o.elapsed / trusting,
    remaining_s: trusting - o.elapsed,
    expires_at: '2026-11-21T00:00:00Z',
  };
}

export async function publishClient(
  h: Harness,
  chain: string,
  clientId: string,
  o: Parameters<typeof clientStatus>[1] & { instance?: string; dedup?: string },
): Promise<void> {
  await h.publisher.publish(cosmosIbc.clientStatus, {
    chain_id: chain,
    dedup_key: o.dedup ?? `${chain}:${clientId}:${o.elapsed}:${h.clock.now()}`,
    data: clientStatus(clientId, o),
    observed_at: new Date(h.clock.now()),
  });
}

export function walletBalance(
  address: string,
  amount: number,
  o: { projected_empty_s?: number | null } = {},
) {
  return {
    address,
    denom: 'uatom',
    display_denom: 'ATOM',
    amount: String(Math.round(amount * 1e6)),
    display_amount: amount,
    burn_per_hour: 0.1,
    projected_empty_at: null,
    projected_empty_s: o.projected_empty_s ?? null,
    subscribers: [],
  };
}

/** A discrete state_change rule (every change of an ICS consumer's phase is told, against the one before). */
export const phaseRule = {
  id: 'consumer-phase',
  match: { source: 'ics', type: 'consumer' },
  condition: { state_change: { value: 'phase' } },
  severity: 'info',
  labels: { consumer: '{{ consumer_id }}' },
  summary: 'consumer {{ consumer_id }}: {{ alert.previous }} → {{ phase }}',
};
