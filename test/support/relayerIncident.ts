import { fileURLToPath } from 'node:url';
import { type CosmosIbcIngestor, cosmosIbcService, ingestorOf } from '@tocsin/cosmos-ibc';
import { type ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { type CosmosSim, loadScenario, startCosmosSim } from '@tocsin/sim-cosmos';
import type { TestEnv } from '@tocsin/testkit';

/** The IBC relayer incident scenarios of sim-cosmos: 40 clients of the hub toward osmosis-1, 9 h from expiry. */
export const HUB = 'cosmoshub-4';
export const COUNTERPARTY = 'osmosis-1';
export const RELAYER = 'cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl';
const scenarioPath = (name: string) =>
  fileURLToPath(new URL(`../../tools/sim-cosmos/scenarios/${name}.yaml`, import.meta.url));

/**
 * What cosmos-ibc watches in each: `relayer-incident`, the hub with the relayer wallet of the cosmoshub-4 ↔ osmosis-1
 * path (empty within the hour), labelled with its counterparty: what ties it to those clients in the incident;
 * `counterparty-stall`, the hub and osmosis-1 itself, which stalls a minute in (resumes 20 minutes in).
 */
const SCENARIOS = {
  'relayer-incident': (sim: CosmosSim) => [
    {
      chain_id: HUB,
      rpc: [sim.chainUrl(HUB)],
      denom: 'uatom',
      display_denom: 'ATOM',
      wallets: [{ address: RELAYER, labels: { counterparty: COUNTERPARTY } }],
    },
  ],
  'counterparty-stall': (sim: CosmosSim) => [
    { chain_id: HUB, rpc: [sim.chainUrl(HUB)], denom: 'uatom', display_denom: 'ATOM' },
    { chain_id: COUNTERPARTY, rpc: [sim.chainUrl(COUNTERPARTY)], denom: 'uosmo', display_denom: 'OSMO' },
  ],
};

export interface RelayerScenario {
  sim: CosmosSim;
  /** Scans on demand (no automatic scans): `scanOnce()` at each step of the clock. */
  ingestor: CosmosIbcIngestor;
  stop(): Promise<void>;
}

/** The simulator on the test's ManualClock and the real cosmos-ibc watching the scenario's chains (SCENARIOS). */
export async function startRelayerScenario(
  env: TestEnv,
  clock: ManualClock,
  name: keyof typeof SCENARIOS = 'relayer-incident',
): Promise<RelayerScenario> {
  const sim = await startCosmosSim({
    scenario: await loadScenario(scenarioPath(name)),
    clock,
    tickIntervalMs: 0,
  });
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
          chains: SCENARIOS[name](sim),
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
