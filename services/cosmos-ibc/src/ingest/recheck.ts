import type { ClientObservation } from '../clientObservation.ts';
import { observeClient } from '../scan/clientReader.ts';
import { loadExpiredClients } from '../store/expiredClients.ts';
import { rememberClients, reportClient } from './clients.ts';
import type { ChainState, IngestorCore } from './core.ts';

/** Reads the chain's expired clients again (or one of them) now, outside the scan's schedule. */
export async function recheckChain(
  core: IngestorCore,
  state: ChainState,
  clientId?: string,
): Promise<number> {
  const { pool, log, clock } = core.ctx;
  const chainId = state.view.config.chain_id;
  const expired = (await loadExpiredClients(pool, chainId)).filter(
    (e) => !clientId || e.clientId === clientId,
  );
  if (!expired.length) return 0;
  state.endpoints.beginScan();
  const slot = core.slotOf(state.view.config, clock.now());
  const observed: ClientObservation[] = [];
  await Promise.all(
    expired.map(async (e) => {
      const connections = state.view.clients.get(e.clientId)?.connectionIds ?? [];
      try {
        const o = await observeClient(state.endpoints, chainId, e.clientId, connections, clock.now());
        observed.push(o);
        await reportClient(core, state, o, slot);
      } catch (err) {
        log.warn(
          { chain_id: chainId, client_id: e.clientId, err: String(err) },
          'expired client not re-checked',
        );
      }
    }),
  );
  await core.drainPublishes();
  await rememberClients(core, state, observed, new Set(expired.map((e) => e.clientId)));
  log.info(
    {
      chain_id: chainId,
      rechecked: observed.length,
      alive: observed.filter((o) => o.status !== 'Expired').length,
    },
    'expired clients re-checked',
  );
  return observed.length;
}
