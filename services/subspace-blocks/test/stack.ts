import type { EventEnvelope } from '@tocsin/events';
import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { type ScenarioInput, type SubspaceSim, startSubspaceSim } from '@tocsin/sim-subspace';
import { collect, eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { ingestorOf, type SubspaceBlocksConfig, subspaceBlocksService } from '../src/index.ts';
import type { SubspaceIngestor } from '../src/ingestor.ts';

type NatsConnection = Awaited<ReturnType<TestEnv['nats']>>;

export interface Instance {
  service: RunningService<SubspaceBlocksConfig>;
  ingestor: SubspaceIngestor;
  stop(): Promise<void>;
}

/** The simulator and subspace-blocks instances on one ManualClock, every event published collected. */
export interface Stack {
  env: TestEnv;
  nc: NatsConnection;
  clock: ManualClock;
  sim: SubspaceSim;
  events: EventEnvelope[];
  ofType(type: string, from?: number): EventEnvelope[];
  /** Starts an instance (`instance` name, nodes by sim node name/index, section overrides). */
  start(opts?: {
    instance?: string;
    nodes?: (string | number)[];
    section?: Record<string, unknown>;
  }): Promise<Instance>;
  /** Waits until the instance has handled everything up to `what` (a predicate on the events). */
  until(what: string, pred: () => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export const hashes = (events: EventEnvelope[]) => events.map((e) => (e.data as { hash: string }).hash);

export async function startStack(name: string, scenario: ScenarioInput): Promise<Stack> {
  const env = await testEnv(name);
  const clock = new ManualClock(Date.parse('2026-12-03T12:00:00Z'));
  const sim = await startSubspaceSim({ scenario, clock, tickIntervalMs: 0 });
  const nc = await env.nats();
  const collector = collect<EventEnvelope>(nc, `${env.prefix}.events.>`);
  await nc.flush();
  const instances: Instance[] = [];
  const stack: Stack = {
    env,
    nc,
    clock,
    sim,
    events: collector.items,
    ofType: (type, from = 0) =>
      collector.items.slice(from).filter((e) => e.type === type && e.source === 'subspace-blocks'),
    async start(opts = {}) {
      const service = await startService(subspaceBlocksService, {
        env: env.env,
        clock,
        config: {
          ...env.config,
          instance: opts.instance ?? 'test',
          subspace_blocks: {
            chain_id: 'autonomys-sim',
            nodes: (opts.nodes ?? [0]).map((n) => sim.nodeUrl(n)),
            timers: false,
            reconnect_min: '50ms',
            reconnect_max: '500ms',
            ...opts.section,
          },
        },
      });
      const inst: Instance = {
        service,
        ingestor: ingestorOf(service.ctx),
        stop: async () => {
          instances.splice(instances.indexOf(inst), 1);
          await service.stop();
        },
      };
      instances.push(inst);
      return inst;
    },
    async until(what, pred, timeoutMs = 30_000) {
      await eventually(
        async () => {
          await nc.flush();
          return pred();
        },
        timeoutMs,
        what,
      );
    },
    async stop() {
      for (const i of [...instances].reverse()) await i.stop();
      collector.stop();
      await sim.close();
      await env.cleanup();
    },
  };
  return stack;
}
