import { fileURLToPath } from 'node:url';
import type { ManualClock } from '@tocsin/runtime';
import { type CosmosSim, loadScenario } from '@tocsin/sim-cosmos';
import type { TestEnv } from '@tocsin/testkit';
import { HUB, type HubWatch, hubChain, RELAYER, startHubWatch } from './hubWatch.ts';

/** The simulator and the ingestor of a relayer incident scenario. */
export type RelayerScenario = HubWatch;

/** The IBC relayer incident scenarios of sim-cosmos: 40 clients of the hub toward osmosis-1, 9 h from expiry. */
export { HUB, RELAYER };
export const COUNTERPARTY = 'osmosis-1';
const scenarioPath = (name: string) =>
  fileURLToPath(new URL(`../../tools/sim-cosmos/scenarios/${name}.yaml`, import.meta.url));

/**
 * What cosmos-ibc watches in each: `relayer-incident`, the hub with the relayer wallet of the cosmoshub-4 ↔ osmosis-1
 * path (empty within the hour), labelled with its counterparty: what ties it to those clients in the incident;
 * `counterparty-stall`, the hub and osmosis-1 itself, which stalls a minute in (resumes 20 minutes in).
 */
const SCENARIOS = {
  'relayer-incident': (sim: CosmosSim) => [
    { ...hubChain(sim), wallets: [{ address: RELAYER, labels: { counterparty: COUNTERPARTY } }] },
  ],
  'counterparty-stall': (sim: CosmosSim) => [
    hubChain(sim),
    { chain_id: COUNTERPARTY, rpc: [sim.chainUrl(COUNTERPARTY)], denom: 'uosmo', display_denom: 'OSMO' },
  ],
};

export type ScenarioName = keyof typeof SCENARIOS;

/** The simulator on the test's ManualClock and the real cosmos-ibc watching the scenario's chains (SCENARIOS). */
export async function startRelayerScenario(
  env: TestEnv,
  clock: ManualClock,
  name: ScenarioName = 'relayer-incident',
): Promise<HubWatch> {
  return startHubWatch(env, clock, await loadScenario(scenarioPath(name)), SCENARIOS[name]);
}
