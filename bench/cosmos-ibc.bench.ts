import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { monitoredClients, observeClient } from '../services/cosmos-ibc/src/scan/clientReader.ts';
import { ChainEndpoints } from '../services/cosmos-ibc/src/transport/chainEndpoints.ts';
// The bench package does not depend on the simulator or the service; reach them by path. Only types come from the
// simulator: its code runs in its own process, not in the one whose memory is measured.
import type { ChainInfo, EndpointStats } from '../tools/sim-cosmos/src/index.ts';
import { benchEnv } from './src/env.ts';
import {
  freshScan,
  MAX_CONCURRENCY,
  scanWithAlerter,
  startIngestor,
  treeScan,
  type WithAlerter,
} from './src/ibcScan.ts';
import { productionTree } from './src/proc.ts';
import type { Benchmark, Figure } from './src/report.ts';

/**
 * Issue 5: one scan of 5,000 IBC clients across 3 chains (bench scenario: 20 ms per HTTP request, 2 endpoints
 * per chain), at most 8 concurrent HTTP requests per endpoint. Baseline in the same run: the same queries one at a
 * time on a 500-client subset, scaled to 5,000. The simulator runs in a child process (nor are its modules loaded
 * here).
 *
 * Peak RSS (target < 200 MB): the ingestor as deployed, from its production tree in its own process (as the other
 * benches measure their services), its peak from /proc VmHWM: one process that scans every chain once from its start,
 * against one at rest (src/ibcScan.ts `treeScan`). Beside it, the scan in this process (tsx, this harness and its
 * imports, sampled every 20 ms): a regression of the service's own memory shows in both.
 *
 * Issue 13: then the same scan with the alerter (its own process) consuming the events as they come, against the
 * same scan alone, each by a fresh ingestor in a fresh environment (src/ibcScan.ts).
 */
const SUBSET = Number(process.env.COSMOS_IBC_BENCH_SUBSET ?? 500);
const PAGE_SIZE = 100;
/** Turns of (scan with the alerter, scan alone) for issue 13's figure. */
const PAIRS = Number(process.env.COSMOS_IBC_BENCH_PAIRS ?? 3);
const median = <T>(sorted: T[]): T => sorted[Math.floor((sorted.length - 1) / 2)]!;

/**
 * The simulator in its own process, so the RSS measured here is the ingestor's (and this harness's) alone.
 * It prints its chains with their client and connection counts, then answers `stats` and `reset` lines on stdin
 * with one JSON line each.
 */
const SIM_CHILD = `
import { benchScenarioPath, loadScenario, startCosmosSim } from './tools/sim-cosmos/src/index.ts';
import { createInterface } from 'node:readline';
const scenario = await loadScenario(benchScenarioPath);
const sim = await startCosmosSim({ scenario });
const sizes = scenario.chains.map((c) => ({ clients: c.clients.length, connections: c.connections.length }));
console.log(JSON.stringify({ chains: sim.chains, sizes }));
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'reset') { sim.resetStats(); console.log('{}'); }
  else if (line === 'stats') console.log(JSON.stringify({ stats: sim.stats(), rss: process.memoryUsage().rss }));
}
await sim.close();
`;

async function startSimProcess() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SIM_CHILD], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('simulator process ended');
    return JSON.parse(value as string);
  };
  const ask = async (cmd: string) => {
    child.stdin!.write(`${cmd}\n`);
    return next();
  };
  const { chains, sizes } = (await next()) as {
    chains: ChainInfo[];
    sizes: { clients: number; connections: number }[];
  };
  return {
    pid: child.pid!,
    chains,
    sizes,
    stats: async () => (await ask('stats')) as { stats: EndpointStats[]; rss: number },
    reset: () => ask('reset'),
    close: () => {
      child.stdin!.end();
      child.kill('SIGTERM');
    },
  };
}

/**
 * The baseline: the same cosmjs queries through the same code, one HTTP request at a time with one call each
 * (no concurrency, no batching): list the connections page by page, then read `limit` clients one by one.
 */
async function sequentialScan(chainId: string, url: string, limit: number) {
  const endpoints = new ChainEndpoints(
    chainId,
    [url],
    {
      maxConcurrency: 1,
      batchSize: 1,
      timeoutMs: 10_000,
      maxResponseBytes: 8 << 20,
      retries: 0,
      backoffMs: 0,
    },
    (f) => {
      throw new Error(`baseline endpoint failed: ${f.reason}`);
    },
  );
  try {
    const l0 = performance.now();
    const monitored = await monitoredClients(endpoints, [], PAGE_SIZE);
    const listingS = (performance.now() - l0) / 1000;
    const pages = Math.ceil(monitored.size / PAGE_SIZE);
    const c0 = performance.now();
    const subset = [...monitored].slice(0, limit);
    for (const [clientId, connections] of subset)
      await observeClient(endpoints, chainId, clientId, connections, Date.now());
    const clientsS = (performance.now() - c0) / 1000;
    return {
      perPageS: listingS / pages,
      perClientS: clientsS / subset.length,
      clients: subset.length,
      listingS,
      clientsS,
    };
  } finally {
    endpoints.close();
  }
}

export default {
  name: 'cosmos-ibc-scan',
  issue: 5,
  async run() {
    const env = await benchEnv('cosmos_ibc');
    const sim = await startSimProcess();
    const totalClients = sim.sizes.reduce((n, c) => n + c.clients, 0);

    const { service, ingestor } = await startIngestor(env, sim.chains);
    try {
      await sim.reset();
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      gc();
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      let peakUsage = process.memoryUsage();
      const sampler = setInterval(() => {
        const u = process.memoryUsage();
        if (u.rss > rssPeak) {
          rssPeak = u.rss;
          peakUsage = u;
        }
      }, 20);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const summaries = await ingestor.scanOnce();
      const scanS = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      clearInterval(sampler);
      gc();
      const after = process.memoryUsage();
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      const scanned = summaries.reduce((n, s) => n + s.clients, 0);
      const errors = summaries.reduce((n, s) => n + s.errors, 0);
      if (scanned !== totalClients || errors)
        throw new Error(`scan read ${scanned}/${totalClients} clients with ${errors} errors`);
      const { stats, rss: simRss } = await sim.stats();
      const maxInFlight = Math.max(...stats.map((s) => s.maxInFlight));
      const httpRequests = stats.reduce((n, s) => n + s.httpRequests, 0);
      const rpcCalls = stats.reduce((n, s) => n + s.rpcCalls, 0);

      // Baseline: the same cosmjs queries, one at a time (one HTTP request open, one call each), on a subset.
      await sim.reset();
      const chain = sim.chains[0]!;
      const baseline = await sequentialScan(chain.chainId, chain.endpoints[0]!, SUBSET);
      const totalPages = sim.sizes.reduce((n, c) => n + Math.ceil(c.connections / PAGE_SIZE), 0);
      const baselineScaledS = baseline.perPageS * totalPages + baseline.perClientS * totalClients;
      const baselineInFlight = (await sim.stats()).stats.find(
        (x) => x.chainId === chain.chainId && x.endpoint === 0,
      )!.maxInFlight;

      // Issue 13: the same scan while the alerter consumes its events (as deployed), against the scan alone; each
      // by a fresh ingestor in a fresh environment (a second scan in the same one would publish duplicates only),
      // in turns (with, alone, with, alone…) so that the machine's load drifting weighs on both alike.
      const ingestorTree = productionTree('cosmos-ibc');
      const tree = await treeScan(sim.chains, ingestorTree);
      if (tree.clients !== totalClients || tree.endpointErrors)
        throw new Error(
          `the production-tree ingestor saw ${tree.clients}/${totalClients} clients, ${tree.endpointErrors} endpoint errors`,
        );
      const alerterTree = productionTree('alerter');
      const turns: { withAlerter: WithAlerter; alone: Awaited<ReturnType<typeof freshScan>> }[] = [];
      for (let k = 0; k < PAIRS; k++) {
        const withAlerter = await scanWithAlerter(
          sim.chains,
          sim.pid,
          alerterTree,
          sim.reset,
          () => loadavg()[0]!,
        );
        const alone = await freshScan(sim.chains, sim.pid, sim.reset);
        for (const r of [withAlerter, alone])
          if (r.clients !== totalClients || r.errors)
            throw new Error(`scan read ${r.clients}/${totalClients} clients with ${r.errors} errors`);
        console.log(
          `  scan with the alerter ${withAlerter.scanS.toFixed(2)} s (load ${withAlerter.load.toFixed(1)}; CPU s: ingestor ${withAlerter.ingestorCpuS.toFixed(1)}, simulator ${withAlerter.simCpuS.toFixed(1)}, alerter ${withAlerter.alerterCpuS.toFixed(1)} + PostgreSQL ${withAlerter.alerterPgCpuS.toFixed(1)}; the alerter's batches ${withAlerter.alerterBatches}, ${withAlerter.alerterBatchS.toFixed(1)} s in them), alone ${alone.scanS.toFixed(2)} s (ingestor ${alone.cpuS.toFixed(1)}, simulator ${alone.simCpuS.toFixed(1)})`,
        );
        turns.push({ withAlerter, alone });
      }
      const byScan = <T extends { scanS: number }>(rs: T[]) => rs.sort((a, b) => a.scanS - b.scanS);
      const withAlerter = median(byScan(turns.map((t) => t.withAlerter)));
      const alone = median(byScan(turns.map((t) => t.alone)));
      const ratio = withAlerter.scanS / alone.scanS;
      const each = turns
        .map(
          (t) =>
            `${t.withAlerter.scanS.toFixed(2)}/${t.alone.scanS.toFixed(2)} s (load ${t.withAlerter.load.toFixed(1)})`,
        )
        .join(', ');

      const mb = (b: number) => b / 2 ** 20;
      const figures: Figure[] = [
        {
          name: `scan of ${totalClients} clients, 3 chains, 20 ms latency`,
          value: scanS,
          unit: 's',
          baseline: {
            name: `sequential, measured on ${baseline.clients} clients, scaled`,
            value: baselineScaledS,
          },
          ratio: baselineScaledS / scanS,
          target: '< 10 s',
          met: scanS < 10,
          note: `ratio = baseline / value (speed-up). Ingestor CPU during the scan ${cpuS.toFixed(1)} s (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores). Baseline: ${baseline.clientsS.toFixed(1)} s for ${baseline.clients} clients + ${baseline.listingS.toFixed(1)} s listing ${chain.chainId}; scaled to ${totalClients} clients and ${totalPages} pages`,
        },
        {
          name: `scan of ${totalClients} clients with the alerter consuming its events (median of ${PAIRS})`,
          value: withAlerter.scanS,
          unit: 's',
          baseline: {
            name: `the same scan alone, fresh ingestor, in turns (median of ${PAIRS})`,
            value: alone.scanS,
          },
          ratio,
          target: 'ratio <= 1.5',
          met: ratio <= 1.5,
          note: `issue 13. Alerter: production tree, own process, default rules; it acked the scan's ${withAlerter.events} events ${withAlerter.alerterDoneS.toFixed(1)} s after the scan began (peak RSS ${withAlerter.alerterRssMb.toFixed(0)} MB). CPU during the scan: ingestor ${withAlerter.ingestorCpuS.toFixed(1)} s (alone ${alone.cpuS.toFixed(1)} s), simulator ${withAlerter.simCpuS.toFixed(1)} s (alone ${alone.simCpuS.toFixed(1)} s), alerter ${withAlerter.alerterCpuS.toFixed(1)} s and its PostgreSQL backends ${withAlerter.alerterPgCpuS.toFixed(1)} s; the alerter took them in ${withAlerter.alerterBatches} batches (${(withAlerter.events / withAlerter.alerterBatches).toFixed(0)} events each), ${withAlerter.alerterBatchS.toFixed(1)} s applying them. Load average ${withAlerter.load.toFixed(1)} on ${cpus().length} cores at the end of the scan (medians' runs). Each turn, with/alone: ${each}. The first figure's scan (first in this process) ${scanS.toFixed(2)} s`,
        },
        {
          name: 'peak RSS of the ingestor process during the scan (production tree, own process, VmHWM)',
          value: tree.scanPeakMb,
          unit: 'MB',
          baseline: {
            name: 'RSS of the ingestor at rest (production tree, ready, no scan)',
            value: tree.restRssMb,
          },
          ratio: tree.scanPeakMb / tree.restRssMb,
          target: '< 200 MB',
          met: tree.scanPeakMb < 200,
          note: `as deployed: node --enable-source-maps dist/main.js with services/cosmos-ibc/node-options, auto_scan (each chain once from its start); peak from its start to the end of the scan (VmHWM); at rest its peak was ${tree.restPeakMb.toFixed(0)} MB. Process CPU, start-up and scan: ${tree.cpuS.toFixed(1)} s (load average ${loadavg()[0]!.toFixed(1)})`,
        },
        {
          name: 'peak RSS of the bench process during the scan (ingestor in the harness, under tsx)',
          value: mb(rssPeak),
          unit: 'MB',
          baseline: { name: 'RSS before the scan', value: mb(rssBefore) },
          ratio: rssPeak / rssBefore,
          note:
            `at the peak: heap used ${mb(peakUsage.heapUsed).toFixed(0)} MB, array buffers ${mb(peakUsage.arrayBuffers).toFixed(0)} MB; ` +
            `after the scan and a full GC: heap used ${mb(after.heapUsed).toFixed(0)} MB, RSS ${mb(after.rss).toFixed(0)} MB. ` +
            `RSS before the scan: node, the tsx loader thread and the modules; simulator (own process) ${mb(simRss).toFixed(0)} MB`,
        },
        {
          name: 'most concurrent HTTP requests on one endpoint (simulator counters)',
          value: maxInFlight,
          unit: 'requests',
          baseline: { name: 'sequential', value: baselineInFlight },
          ratio: maxInFlight / Math.max(1, baselineInFlight),
          target: `<= ${MAX_CONCURRENCY}`,
          met: maxInFlight <= MAX_CONCURRENCY,
        },
        {
          name: 'JSON-RPC calls per HTTP request (batching)',
          value: rpcCalls / httpRequests,
          unit: 'calls/request',
          baseline: { name: 'sequential', value: 1 },
          ratio: rpcCalls / httpRequests,
          note: `${rpcCalls} calls in ${httpRequests} HTTP requests`,
        },
      ];
      return {
        figures,
        environment: {
          clients: totalClients,
          chains: sim.chains.length,
          latency_ms: 20,
          endpoints_per_chain: 2,
        },
      };
    } finally {
      await service.stop();
      sim.close();
      await env.cleanup();
    }
  },
} satisfies Benchmark;
