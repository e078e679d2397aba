import type { cosmosIbc, EventData } from '@tocsin/events';
import type { IbcHeight } from './chainQueries.ts';
import { clientExpiry } from './clientExpiry.ts';

export type ClientStatusValue = EventData<typeof cosmosIbc.clientStatus>['status'];

const CHAIN_STATUSES = new Set<string>(['Active', 'Expired', 'Frozen', 'Unknown', 'Unauthorized']);

/** ClientStatus as the chain said it; a value ibc-go may add later reads as Unknown rather than breaking the event. */
export function normaliseStatus(status: string): ClientStatusValue {
  return (CHAIN_STATUSES.has(status) ? status : 'Unknown') as ClientStatusValue;
}

/** What one scan learnt about one client. */
export interface ClientObservation {
  chainId: string;
  clientId: string;
  clientType: string;
  counterpartyChainId: string | null;
  connectionIds: string[];
  status: ClientStatusValue;
  trustingPeriodS: number | null;
  latestHeight: IbcHeight | null;
  /** Consensus-state timestamp at latest_height. */
  lastUpdateMs: number | null;
  observedAtMs: number;
}

export const heightLabel = (h: IbcHeight) => `${h.revisionNumber}-${h.revisionHeight}`;
const heightJson = (h: IbcHeight) => ({
  revision_number: h.revisionNumber.toString(),
  revision_height: h.revisionHeight.toString(),
});

/** The `client_status` event data: expiry figures computed against the observation time. */
export function clientStatusData(o: ClientObservation): EventData<typeof cosmosIbc.clientStatus> {
  const expiry =
    o.lastUpdateMs !== null && o.trustingPeriodS !== null
      ? clientExpiry(o.lastUpdateMs, o.trustingPeriodS, o.observedAtMs)
      : null;
  return {
    client_id: o.clientId,
    client_type: o.clientType,
    counterparty_chain_id: o.counterpartyChainId,
    connection_ids: o.connectionIds,
    status: o.status,
    trusting_period_s: o.trustingPeriodS,
    latest_height: o.latestHeight ? heightJson(o.latestHeight) : null,
    last_update: o.lastUpdateMs === null ? null : new Date(o.lastUpdateMs).toISOString(),
    elapsed_s: expiry?.elapsed_s ?? null,
    elapsed_ratio: expiry?.elapsed_ratio ?? null,
    remaining_s: expiry?.remaining_s ?? null,
    expires_at: expiry?.expires_at ?? null,
  };
}

/**
 * Same client, same height, same scan slot → same key on every instance, so replicas scanning together store the
 * fact once; a later slot is a new observation (the elapsed figures have moved on).
 */
export function clientStatusKey(o: ClientObservation, slot: number): string {
  return `${o.chainId}:${o.clientId}:${o.latestHeight ? heightLabel(o.latestHeight) : 'none'}:${slot}`;
}

/** `client_updated` data when the latest height moved since the previous observation, else undefined. */
export function clientUpdate(
  previous: ClientObservation | undefined,
  current: ClientObservation,
): { data: EventData<typeof cosmosIbc.clientUpdated>; key: string } | undefined {
  const before = previous?.latestHeight;
  const after = current.latestHeight;
  if (!before || !after) return undefined;
  if (before.revisionNumber === after.revisionNumber && before.revisionHeight === after.revisionHeight)
    return undefined;
  return {
    key: `${current.chainId}:${current.clientId}:${heightLabel(before)}->${heightLabel(after)}`,
    data: {
      client_id: current.clientId,
      counterparty_chain_id: current.counterpartyChainId,
      previous_height: heightJson(before),
      latest_height: heightJson(after),
      last_update: current.lastUpdateMs === null ? null : new Date(current.lastUpdateMs).toISOString(),
    },
  };
}
