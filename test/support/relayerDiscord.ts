import { ManualClock } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { type Harness, startHarness } from '../../services/notifier-discord/test/harness.ts';
import { type InProcessAlerter, startAlerter } from './alerter.ts';
import { type RelayerScenario, type ScenarioName, startRelayerScenario } from './relayerIncident.ts';

export interface RelayerDiscord {
  env: TestEnv;
  clock: ManualClock;
  alerter: InProcessAlerter;
  /** notifier-discord and the fake Discord. */
  h: Harness;
  scenario: RelayerScenario;
  /** The watched chains scanned at the clock's time (the simulator's timeline applied first), the alerter settled. */
  scan(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A relayer incident scenario end to end on one ManualClock: sim-cosmos → cosmos-ibc → the in-process alerter
 * (shipped rules and incidents) → notifier-discord → the fake Discord.
 */
export async function startRelayerDiscord(name: string, which?: ScenarioName): Promise<RelayerDiscord> {
  const env = await testEnv(name);
  const clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  const alerter = await startAlerter(env, clock);
  const h = await startHarness(env, ({ channels }) => ({
    routes: [{ source: 'system', channel: channels.test }],
  }));
  const scenario = await startRelayerScenario(env, clock, which);
  return {
    env,
    clock,
    alerter,
    h,
    scenario,
    async scan() {
      await scenario.ingestor.scanOnce();
      await h.nc.flush();
      await alerter.settle(h.nc);
    },
    async stop() {
      await scenario.stop();
      await h.stop();
      await alerter.running.stop();
      await env.cleanup();
    },
  };
}
