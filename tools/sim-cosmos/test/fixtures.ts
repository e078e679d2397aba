import {
  createProtobufRpcClient,
  QueryClient,
  setupBankExtension,
  setupIbcExtension,
} from '@cosmjs/stargate';
import { type CometClient, connectComet } from '@cosmjs/tendermint-rpc';
import { ManualClock } from '@tocsin/runtime/clock';
import { QueryClientImpl as IbcClientQuery } from 'cosmjs-types/ibc/core/client/v1/query';
import { afterEach } from 'vitest';
import type { Scenario, ScenarioInput } from '../src/scenario.ts';
import { type CosmosSim, startCosmosSim } from '../src/simulator.ts';

/** Where the simulator's tests start their clock. */
const SIM_START = Date.parse('2025-06-01T12:00:00Z');

export const HOUR_S = 3600;
export const DAY_S = 86_400;
export const TWO_WEEKS_S = 14 * DAY_S;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Registers something to close after the current test. */
export function closeAfterTest<T>(value: T, close: (v: T) => unknown): T {
  cleanups.push(() => close(value));
  return value;
}

export interface TestSim {
  sim: CosmosSim;
  clock: ManualClock;
  /** A real cosmjs client (auto-detected, so this also checks the version detection picks Comet38). */
  comet(chainId: string, endpoint?: number): Promise<CometClient>;
  query(chainId: string, endpoint?: number): Promise<ReturnType<typeof withExtensions>>;
  /** ClientStatus has no cosmjs helper; go through the generated query client as an ingestor would. */
  clientStatus(chainId: string, clientId: string): Promise<string>;
}

const withExtensions = (comet: CometClient) =>
  QueryClient.withExtensions(comet, setupIbcExtension, setupBankExtension);

export async function startTestSim(scenario: Scenario | ScenarioInput): Promise<TestSim> {
  const clock = new ManualClock(SIM_START);
  const sim = closeAfterTest(await startCosmosSim({ scenario, clock, tickIntervalMs: 0 }), (s) => s.close());
  const comet = async (chainId: string, endpoint?: number) =>
    closeAfterTest(await connectComet(sim.chainUrl(chainId, endpoint)), (c) => c.disconnect());
  const query = async (chainId: string, endpoint?: number) => withExtensions(await comet(chainId, endpoint));
  return {
    sim,
    clock,
    comet,
    query,
    clientStatus: async (chainId, clientId) => {
      const rpc = createProtobufRpcClient(await query(chainId));
      return (await new IbcClientQuery(rpc).ClientStatus({ clientId })).status;
    },
  };
}
