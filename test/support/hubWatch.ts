import { type CosmosIbcIngestor, cosmosIbcService, ingestorOf } from '@tocsin/cosmos-ibc';
import { type ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { type CosmosSim, type Scenario, type ScenarioInput, startCosmosSim } from '@tocsin/sim-cosmos';
import type { TestEnv } from '@tocsin/testkit';

export const HUB = 'cosmoshub-4';
export const RELAYER = 'cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl';

/** The hub with one client toward osmosis-1 at 80 % of its trusting period and the relayer wallet (5 ATOM). */
export const ONE_CLIENT_HUB: ScenarioInput = {
  chains: [
    {
      chain_id: HUB,
      denom: 'uatom',
      display_denom: 'ATOM',
      clients: [
        {
          client_id: '07-tendermint-0',
          counterparty_chain_id: 'osmosis-1',
          trusting_period_s: 51_800,
          last_update_ago_s: 41_441,
        },
      ],
      connections: [{ connection_id: 'connection-0', client_id: '07-tendermint-0' }],
      wallets: [{ address: RELAYER, balance: 5_000_000 }],
    },
  ],
};

export interface HubWatch {
  sim: CosmosSim;
  /** Scans on demand (no automatic scans): `scanOnce()` at each step of the clock. */
  ingestor: CosmosIbcIngestor;
  stop(): Promise<void>;
}

/** The ingestor's `chains:` entry of the hub, read through the simulator. */
export const hubChain = (sim: CosmosSim) => ({
  chain_id: HUB,
  rpc: [sim.chainUrl(HUB)],
  denom: 'uatom',
  display_denom: 'ATOM',
});

/**
 * The CometBFT simulator on the test's ManualClock and the real cosmos-ibc watching it (scans on demand): by
 * default the hub alone; `chains` gives the ingestor's `chains:` (e.g. the hub's wallets with labels, the
 * counterparty too).
 */
export async function startHubWatch(
  env: TestEnv,
  clock: ManualClock,
  scenario: Scenario | ScenarioInput = ONE_CLIENT_HUB,
  chains: (sim: CosmosSim) => Record<string, unknown>[] = (sim) => [hubChain(sim)],
): Promise<HubWatch> {
  const sim = await startCosmosSim({ scenario, clock, tickIntervalMs: 0 });
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
          chains: chains(sim),
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
