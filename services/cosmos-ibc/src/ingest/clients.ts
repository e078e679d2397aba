import { cosmosIbc } from '@tocsin/events';
import {
  type ClientObservation,
  clientStatusData,
  clientStatusKey,
  clientUpdate,
} from '../clientObservation.ts';
import { saveClientRecords } from '../store/clientRecords.ts';
import { recordExpiryChecks } from '../store/expiredClients.ts';
import type { ChainState, IngestorCore } from './core.ts';

/** Publishes a client's events; the result, when there is one, is to be awaited (the backlog is full). */
export function reportClient(core: IngestorCore, state: ChainState, o: ClientObservation, slot: number) {
  const chainId = state.view.config.chain_id;
  core.publish(cosmosIbc.clientStatus, chainId, clientStatusKey(o, slot), clientStatusData(o));
  const update = clientUpdate(state.view.clients.get(o.clientId), o);
  if (update) core.publish(cosmosIbc.clientUpdated, chainId, update.key, update.data);
  return core.outbox.room();
}

/** Stores what was observed of the chain's clients (and which were checked while expired), and shows it. */
export async function rememberClients(
  core: IngestorCore,
  state: ChainState,
  observed: ClientObservation[],
  wasExpired: Set<string>,
) {
  const { pool, clock } = core.ctx;
  const chainId = state.view.config.chain_id;
  await saveClientRecords(pool, observed);
  await recordExpiryChecks(
    pool,
    chainId,
    observed
      .filter((o) => o.status === 'Expired' || wasExpired.has(o.clientId))
      .map((o) => ({ clientId: o.clientId, expired: o.status === 'Expired' })),
    clock.now(),
  );
  for (const o of observed) state.view.clients.set(o.clientId, o);
}
