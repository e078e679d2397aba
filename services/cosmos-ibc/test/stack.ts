import { Writable } from 'node:stream';
import type { EventEnvelope } from '@tocsin/events';
import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { type CosmosSim, type ScenarioInput, startCosmosSim } from '@tocsin/sim-cosmos';
import { collect, type TestEnv, testEnv } from '@tocsin/testkit';
import {
  type CosmosIbcConfig,
  type CosmosIbcIngestor,
  cosmosIbcService,
  ingestorOf,
  type ScanSummary,
} from '../src/index.ts';

type NatsConnection = Awaited<ReturnType<TestEnv['nats']>>;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The simulator and the ingestor on one ManualClock, with every event the ingestor publishes collected. */
export interface Stack {
  env: TestEnv;
  nc: NatsConnection;
  clock: ManualClock;
  sim: CosmosSim;
  service: RunningService<CosmosIbcConfig>;
  ingestor: CosmosIbcIngestor;
  events: EventEnvelope[];
  /** The service's log records (only with `captureLogs`, at level info). */
  logs: Record<string, unknown>[];
  /** Events of one type (cosmos-ibc unless a source is given), optionally only those after index `from`. */
  ofType(type: string, from?: number, source?: string): EventEnvelope[];
  /** scanOnce, then a NATS round trip so every event it published has reached `events`. */
  scan(chainId?: string): Promise<ScanSummary[]>;
  stop(): Promise<void>;
}

export async function startStack(opts: {
  name: string;
  scenario: ScenarioInput;
  /** cosmos_ibc section; `chains` may use `rpc: ['sim:<chain_id>[/<endpoint>]']` placeholders. */
  section: Record<string, unknown>;
  env?: TestEnv;
  captureLogs?: boolean;
  /** Settings every service shares (e.g. `display`), besides the test's NATS and database. */
  common?: Record<string, unknown>;
  /** Runs once the simulator listens, before the service starts (e.g. to write an rpc_file with its URLs). */
  beforeStart?(sim: CosmosSim): void | Promise<void>;
}): Promise<Stack> {
  const logs: Record<string, unknown>[] = [];
  const logDest = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  const env = opts.env ?? (await testEnv(opts.name));
  const clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  const sim = await startCosmosSim({ scenario: opts.scenario, clock, tickIntervalMs: 0 });
  await opts.beforeStart?.(sim);
  const nc = await env.nats();
  const collector = collect<EventEnvelope>(nc, `${env.prefix}.events.>`);
  await nc.flush();
  const chains = (opts.section.chains as Record<string, unknown>[] | undefined)?.map((c) => ({
    ...c,
    rpc: (c.rpc as string[] | undefined)?.map((u) => {
      const m = /^sim:([^/]+)(?:\/(\d+))?$/.exec(u);
      return m ? sim.chainUrl(m[1]!, m[2] === undefined ? undefined : Number(m[2])) : u;
    }),
  }));
  const service = await startService(cosmosIbcService, {
    env: opts.captureLogs ? { ...env.env, TOCSIN_LOG_LEVEL: 'info' } : env.env,
    clock,
    ...(opts.captureLogs ? { logDest } : {}),
    config: {
      ...env.config,
      ...opts.common,
      // No alerter in most of these tests: the first scan does not wait for one (startupWait.test.ts does).
      cosmos_ibc: {
        auto_scan: false,
        retry_backoff: '10ms',
        subscriptions_startup_wait: 0,
        ...opts.section,
        chains,
      },
    },
  });
  const ingestor = ingestorOf(service.ctx);
  await ingestor.announced;
  // `announced` means JetStream acknowledged the start's events (endpoint_error of a node that failed its start
  // probe, service_started); our subscription may not have them yet. The server sent them to it before those
  // acknowledgements, so a round trip on its connection brings them in: an index taken now is after them.
  await nc.flush();
  return {
    env,
    nc,
    clock,
    sim,
    service,
    ingestor,
    events: collector.items,
    logs,
    ofType: (type, from = 0, source = 'cosmos-ibc') =>
      collector.items.slice(from).filter((e) => e.type === type && e.source === source),
    async scan(chainId) {
      const summaries = await ingestor.scanOnce(chainId);
      await nc.flush();
      return summaries;
    },
    async stop() {
      collector.stop();
      await service.stop();
      await sim.close();
      if (!opts.env) await env.cleanup();
    },
  };
}

/** The client_status events of a client among `events`. */
export function statusOf(events: EventEnvelope[], chainId: string, clientId: string) {
  return events.filter(
    (e) =>
      e.type === 'client_status' &&
      e.chain_id === chainId &&
      (e.data as { client_id: string }).client_id === clientId,
  );
}
