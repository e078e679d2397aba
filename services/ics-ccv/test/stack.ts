import { Writable } from 'node:stream';
import type { EventEnvelope } from '@tocsin/events';
import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { type IcsSim, loadScenario, type ScenarioInput, startIcsSim } from '@tocsin/sim-ics';
import { collect, eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { type IcsCcvConfig, icsCcvService, trackerOf } from '../src/index.ts';
import type { Tracker } from '../src/tracker.ts';

export const T0 = Date.parse('2026-12-01T00:00:00Z');

export interface Stack {
  env: TestEnv;
  clock: ManualClock;
  sim: IcsSim;
  services: RunningService<IcsCcvConfig>[];
  trackers: Tracker[];
  events: EventEnvelope[];
  /** Log records of every instance at level info (only with captureLogs). */
  logs: Record<string, unknown>[];
  /** ics-ccv events (optionally of some types), in arrival order. */
  ics(...types: string[]): EventEnvelope[];
  /** Moves the clock, lets the sim emit what is due, waits until every tracker handled `txTotal` Tx, then syncs. */
  step(toS: number, txTotal: number): Promise<void>;
  stop(): Promise<void>;
}

/** The simulator and `instances` ics-ccv services on one ManualClock and one bus, every event collected. */
export async function startStack(opts: {
  name: string;
  scenario: string | ScenarioInput;
  /** ics_ccv settings (a function of the simulator, e.g. to name one of its validators as ours). */
  section?: Record<string, unknown> | ((sim: IcsSim) => Record<string, unknown>);
  instances?: number;
  env?: TestEnv;
  captureLogs?: boolean;
}): Promise<Stack> {
  const logs: Record<string, unknown>[] = [];
  const logDest = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) logs.push(JSON.parse(l));
      done();
    },
  });
  const env = opts.env ?? (await testEnv(opts.name));
  const clock = new ManualClock(T0);
  const scenario = typeof opts.scenario === 'string' ? await loadScenario(opts.scenario) : opts.scenario;
  const sim = await startIcsSim({ scenario, clock, tickIntervalMs: 0 });
  const section = typeof opts.section === 'function' ? opts.section(sim) : (opts.section ?? {});
  const nc = await env.nats();
  const collector = collect<EventEnvelope>(nc, `${env.prefix}.events.>`);
  await nc.flush();
  const services: RunningService<IcsCcvConfig>[] = [];
  for (let i = 0; i < (opts.instances ?? 1); i++) {
    services.push(
      await startService(icsCcvService, {
        env: {
          ...env.env,
          TOCSIN_INSTANCE: `ics-${i}`,
          ...(opts.captureLogs ? { TOCSIN_LOG_LEVEL: 'info' } : {}),
        },
        clock,
        ...(opts.captureLogs ? { logDest } : {}),
        config: {
          ...env.config,
          ...(opts.captureLogs ? { log: { level: 'info' } } : {}),
          // Each instance its own schema would need its own env; sharing one database is the usual deployment.
          ics_ccv: {
            rpc: sim.rpcUrl,
            provider_chain_id: sim.chainId,
            reconnect_backoff: '20ms',
            reconnect_backoff_max: '200ms',
            ...section,
          },
        },
      }),
    );
  }
  const trackers = services.map((s) => trackerOf(s.ctx).tracker);
  for (const s of services) await trackerOf(s.ctx).subscription?.connected;
  await eventually(
    // A chain without the provider module: the service may have dropped its subscriptions already (nothing to watch).
    () =>
      sim.subscriberCount() === 2 * services.length ||
      !(section.auto_start ?? true) ||
      trackers.every((t) => t.unavailable),
    15_000,
    'websocket subscriptions',
  );
  await eventually(
    () => trackers.every((t) => t.syncs > 0 || t.unavailable || !(section.auto_start ?? true)),
    15_000,
    'first sync',
  );
  const ics = (...types: string[]) =>
    collector.items.filter((e) => e.source === 'ics-ccv' && (!types.length || types.includes(e.type)));
  return {
    env,
    clock,
    sim,
    services,
    trackers,
    events: collector.items,
    logs,
    ics,
    async step(toS, txTotal) {
      clock.set(T0 + toS * 1000);
      sim.tick();
      await eventually(() => trackers.every((t) => t.txHandled >= txTotal), 15_000, `${txTotal} Tx handled`);
      for (const t of trackers) await t.sync('poll');
      await nc.flush();
    },
    async stop() {
      collector.stop();
      for (const s of services) await s.stop();
      await sim.close();
      if (!opts.env) await env.cleanup();
    },
  };
}

/** A compact line per event, for sequence assertions. */
export function line(e: EventEnvelope): string {
  const d = e.data as Record<string, unknown>;
  const who = d.provider_validator_address ? ` ${String(d.provider_validator_address).slice(-6)}` : '';
  const phase = e.type === 'consumer_phase_changed' ? ` ${d.from}→${d.to}` : '';
  return `${e.type} ${d.consumer_id}${phase}${who}`;
}
