import { fileURLToPath } from 'node:url';
import { type CosmosIbcIngestor, cosmosIbcService, ingestorOf } from '@tocsin/cosmos-ibc';
import { type ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { type CosmosSim, loadScenario, startCosmosSim } from '@tocsin/sim-cosmos';
import type { TestEnv } from '@tocsin/testkit';

/** The IBC relayer incident scenario (sim-cosmos: 40 clients 9 h from expiry, the relayer wallet empty within the hour). */
export const HUB = 'cosmoshub-4';
export const RELAYER = 'cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl';
const scenarioPath = fileURLToPath(
  new URL('../../tools/sim-cosmos/scenarios/relayer-incident.yaml', import.meta.url),
);

export interface RelayerScenario {
  sim: CosmosSim;
  /** Scans on demand (no automatic scans): `scanOnce()` at each step of the clock. */
  ingestor: CosmosIbcIngestor;
  stop(): Promise<void>;
}

/**
 * The simulator on the test's ManualClock and the real cosmos-ibc watching the hub, with the relayer wallet of the
 * cosmoshub-4 ↔ osmosis-1 path labelled with its counterparty: what ties it to those clients in the incident.
 */
export async function startRelayerScenario(env: TestEnv, clock: ManualClock): Promise<RelayerScenario> {
  const sim = await startCosmosSim({ scenario: await loadScenario(scenarioPath), clock, tickIntervalMs: 0 });
  let service: RunningService | undefined;
  try {
    service = await startService(cosmosIbcService, {
      argv: [],
      env: env.env,
      clock,
      config: {
        ...env.config,
        cosmos_ibc: {
          auto_scan: false,
          retry_backoff: '10ms',
          chains: [
            {
              chain_id: HUB,
              rpc: [sim.chainUrl(HUB)],
              denom: 'uatom',
              display_denom: 'ATOM',
              wallets: [{ address: RELAYER, labels: { counterparty: 'osmosis-1' } }],
            },
          ],
        },
      },
    });
    const ingestor = ingestorOf(service.ctx);
    await ingestor.announced;
    const running = service;
    return {
      sim,
      ingestor,
      async stop() {
        await running.stop();
        await sim.close();
      },
    };
  } catch (err) {
    await service?.stop();
    await sim.close();
    throw err;
  }
}
