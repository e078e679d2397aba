import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startService } from '@tocsin/runtime';
import pg from 'pg';
import { cosmosIbcService, ingestorOf } from '../../services/cosmos-ibc/src/index.ts';
import type { ChainInfo } from '../../tools/sim-cosmos/src/index.ts';
import { type BenchEnv, benchEnv, databaseUrl, natsUrl } from './env.ts';
import { cpuSeconds, PgBackendCpu, peakRssMb, rssMb, spawnService, stopChild, until } from './proc.ts';

// The cosmos-ibc ingestor of bench/cosmos-ibc.bench.ts: in this process (the scan's time, the alerter's turns), or as
// deployed (its production tree, its own process) for its memory.

export const MAX_CONCURRENCY = 8;

/** The service's config section for the simulator's chains: scans at start (and hourly) or only when asked. */
function ingestorSection(chains: ChainInfo[], autoScan: boolean) {
  return {
    auto_scan: autoScan,
    // A scan alone has no alerter to give wallet subscriptions: it must not wait 30 s for one (the default).
    subscriptions_startup_wait: 0,
    max_concurrency_per_endpoint: MAX_CONCURRENCY,
    chains: chains.map((c) => ({
      chain_id: c.chainId,
      rpc: c.endpoints,
      denom: c.denom,
      display_denom: c.displayDenom,
      exponent: c.exponent,
      scan_interval: '1h',
    })),
  };
}

/** The ingestor, in this process, scanning the simulator's chains only when asked. */
export async function startIngestor(env: BenchEnv, chains: ChainInfo[]) {
  const service = await startService(cosmosIbcService, {
    env: { TOCSIN_CONFIG: '' },
    config: { ...env.config, cosmos_ibc: ingestorSection(chains, false) },
  });
  const ingestor = ingestorOf(service.ctx);
  await ingestor.announced;
  return { service, ingestor };
}

/** One scan of every chain by a fresh ingestor in a fresh environment (streams, schema): its own first scan. */
export async function freshScan(
  chains: ChainInfo[],
  simPid: number,
  before: () => Promise<unknown>,
): Promise<{ scanS: number; cpuS: number; simCpuS: number; clients: number; errors: number }> {
  const env = await benchEnv('cosmos_ibc_again');
  const { service, ingestor } = await startIngestor(env, chains);
  try {
    await before();
    const s0 = cpuSeconds(simPid);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const summaries = await ingestor.scanOnce();
    const scanS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      scanS,
      cpuS: (cpu.user + cpu.system) / 1e6,
      simCpuS: cpuSeconds(simPid) - s0,
      clients: summaries.reduce((n, s) => n + s.clients, 0),
      errors: summaries.reduce((n, s) => n + s.errors, 0),
    };
  } finally {
    await service.stop();
    await env.cleanup();
  }
}

export interface WithAlerter {
  scanS: number;
  /** CPU seconds during the scan: the ingestor (this process), the alerter, its PostgreSQL backends, the simulator. */
  ingestorCpuS: number;
  alerterCpuS: number;
  alerterPgCpuS: number;
  simCpuS: number;
  /** The alerter's batches while it took the scan's events (its batch-duration histogram): how many, seconds in them. */
  alerterBatches: number;
  alerterBatchS: number;
  /** From the scan's start until the alerter acked the last event it published. */
  alerterDoneS: number;
  events: number;
  alerterRssMb: number;
  clients: number;
  errors: number;
  /** 1-minute load average at the end of the scan. */
  load: number;
}

/** The alerter's `tocsin_alerter_batch_duration_seconds` count and sum, from its /metrics. */
async function batchMetrics(url: string): Promise<{ count: number; sum: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    count: read('tocsin_alerter_batch_duration_seconds_count'),
    sum: read('tocsin_alerter_batch_duration_seconds_sum'),
  };
}

/**
 * The same scan, by a fresh ingestor in a fresh environment, while the alerter (its production tree, its own
 * process, the default rules) consumes the events as they are published.
 */
export async function scanWithAlerter(
  chains: ChainInfo[],
  simPid: number,
  alerterTree: string,
  before: () => Promise<unknown>,
  load: () => number,
): Promise<WithAlerter> {
  const env = await benchEnv('cosmos_ibc_alerter');
  const alerter = await spawnService('alerter', env.config, [], alerterTree);
  const nc = await connect({ servers: natsUrl });
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const pgCpu = new PgBackendCpu(admin, () => [alerter.pid!]);
  const sampler = setInterval(() => void pgCpu.sample().catch(() => undefined), 250);
  try {
    const { service, ingestor } = await startIngestor(env, chains);
    try {
      const jsm = await jetstreamManager(nc);
      const stream = env.subjects.streams.events;
      // The ingestor's start-up events: the alerter has them before the scan starts.
      const seq0 = (await jsm.streams.info(stream)).state.last_seq;
      const acked = async (seq: number) =>
        (await jsm.consumers.info(stream, 'alerter')).ack_floor.stream_seq >= seq;
      await until('the alerter to take the start-up events', () => acked(seq0), 60_000, 20);
      await before();
      await pgCpu.reset();
      const b0 = await batchMetrics(alerter.url);
      const s0 = cpuSeconds(simPid);
      const a0 = cpuSeconds(alerter.pid!);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const summaries = await ingestor.scanOnce();
      const scanS = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const alerterCpuS = cpuSeconds(alerter.pid!) - a0;
      const simCpuS = cpuSeconds(simPid) - s0;
      await pgCpu.sample();
      const alerterPgCpuS = pgCpu.seconds();
      const loadNow = load();
      const last = (await jsm.streams.info(stream)).state.last_seq;
      const doneAt = await until(`the alerter to ack stream seq ${last}`, () => acked(last), 300_000, 20);
      const b1 = await batchMetrics(alerter.url);
      return {
        scanS,
        ingestorCpuS: (cpu.user + cpu.system) / 1e6,
        alerterCpuS,
        alerterPgCpuS,
        simCpuS,
        alerterBatches: b1.count - b0.count,
        alerterBatchS: b1.sum - b0.sum,
        alerterDoneS: (doneAt - t0) / 1000,
        events: last - seq0,
        alerterRssMb: peakRssMb(alerter.pid!),
        clients: summaries.reduce((n, s) => n + s.clients, 0),
        errors: summaries.reduce((n, s) => n + s.errors, 0),
        load: loadNow,
      };
    } finally {
      await service.stop();
    }
  } finally {
    clearInterval(sampler);
    await admin.end();
    await nc.close();
    await stopChild(alerter);
    await env.cleanup();
  }
}

/** Sum of a metric's samples (every label set) in a Prometheus text exposition. */
function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

export interface TreeScan {
  /** RSS of an ingestor at rest (ready, no scan: auto_scan off), and its peak (VmHWM) until then. */
  restRssMb: number;
  restPeakMb: number;
  /** Peak RSS (VmHWM) of an ingestor that scanned every chain once (auto_scan: at start), from its start to the end. */
  scanPeakMb: number;
  /** CPU seconds of that process, start-up and scan. */
  cpuS: number;
  clients: number;
  /** Endpoints given up on during that scan (`tocsin_endpoint_errors_total`). */
  endpointErrors: number;
}

/**
 * The ingestor as deployed: its production tree in its own process (`spawnService`, with its `node-options`), each
 * time in a fresh environment. One at rest, then one that scans every chain once (at start, auto_scan) until its
 * /metrics count a scan of each chain; the peaks are the kernel's (/proc VmHWM) for those processes alone.
 */
export async function treeScan(chains: ChainInfo[], tree: string, timeoutMs = 300_000): Promise<TreeScan> {
  const spawned = async (
    autoScan: boolean,
    body: (child: Awaited<ReturnType<typeof spawnService>>) => Promise<void>,
  ) => {
    const env = await benchEnv('cosmos_ibc_tree');
    const child = await spawnService(
      'cosmos-ibc',
      { ...env.config, cosmos_ibc: ingestorSection(chains, autoScan) },
      [],
      tree,
    );
    try {
      await body(child);
    } finally {
      await stopChild(child);
      await env.cleanup();
    }
  };
  let restRssMb = Number.NaN;
  let restPeakMb = Number.NaN;
  await spawned(false, async (child) => {
    restRssMb = rssMb(child.pid!);
    restPeakMb = peakRssMb(child.pid!);
  });
  let scanPeakMb = Number.NaN;
  let cpuS = Number.NaN;
  let clients = 0;
  let endpointErrors = 0;
  await spawned(true, async (child) => {
    const metrics = async () => (await fetch(`${child.url}/metrics`)).text();
    await until(
      `the ingestor (production tree) to scan ${chains.length} chains`,
      async () =>
        metricSum(await metrics(), 'tocsin_cosmos_ibc_scan_duration_seconds_count') >= chains.length,
      timeoutMs,
      100,
    );
    scanPeakMb = peakRssMb(child.pid!);
    cpuS = cpuSeconds(child.pid!);
    const text = await metrics();
    clients = metricSum(text, 'tocsin_cosmos_ibc_clients');
    endpointErrors = metricSum(text, 'tocsin_endpoint_errors_total');
  });
  return { restRssMb, restPeakMb, scanPeakMb, cpuS, clients, endpointErrors };
}
