import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startService } from '@tocsin/runtime';
import { ingestorOf, subspaceBlocksService } from '../services/subspace-blocks/src/index.ts';
import { benchEnv } from './src/env.ts';
import type { Benchmark, Figure } from './src/report.ts';

/**
 * Issue 10: catch-up of 10,000 blocks from the simulator (bench scenario: 10,000 history blocks with two transfers
 * each) with events decoded and fork tracking, published to NATS. The ingestor starts with no state and a backfill
 * of the whole chain below the best block. Baseline in the same run: the simulator's raw @polkadot/api fetch loop
 * (getBlockHash, getBlock, api.at(hash).query.system.events()) on a subset, as blocks per second. The simulator
 * runs in a child process, so the RSS figure is the ingestor's (and this harness's).
 */
const BLOCKS = Number(process.env.SUBSPACE_BENCH_BLOCKS ?? 10_000);
const SUBSET = Number(process.env.SUBSPACE_BENCH_SUBSET ?? 1_000);

const SIM_CHILD = `
import { benchScenarioPath, loadScenario, startSubspaceSim, rawFetchLoop } from './tools/sim-subspace/src/index.ts';
import { createInterface } from 'node:readline';
const scenario = await loadScenario(benchScenarioPath);
const sim = await startSubspaceSim({ scenario, tickIntervalMs: 0 });
console.log(JSON.stringify({ url: sim.nodeUrl(0), tip: sim.block('main@tip').number }));
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, a, b] = line.split(' ');
  if (cmd === 'raw') console.log(JSON.stringify(await rawFetchLoop(sim.nodeUrl(0), Number(a), Number(b))));
}
await sim.close();
`;

async function startSimProcess() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  // SUBSPACE_SIM_CPU_PROF=<dir>: a CPU profile of the simulator process (the ingestor's: node --cpu-prof).
  const prof = process.env.SUBSPACE_SIM_CPU_PROF;
  const flags = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  const child = spawn(
    process.execPath,
    [...flags, '--import', 'tsx', '--input-type=module', '-e', SIM_CHILD],
    {
      cwd: root,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error('simulator process ended');
      if ((value as string).startsWith('{')) return JSON.parse(value as string);
    }
  };
  const info = (await next()) as { url: string; tip: number };
  return {
    ...info,
    raw: async (from: number, to: number) => {
      child.stdin!.write(`raw ${from} ${to}\n`);
      return (await next()) as { blocks: number; ms: number; blocksPerSecond: number };
    },
    close: () => {
      child.stdin!.end();
      // A profiled simulator ends on its own (the profile is written at a normal exit).
      if (!prof) child.kill('SIGTERM');
    },
  };
}

const bench: Benchmark = {
  name: 'subspace-blocks catch-up',
  issue: 10,
  async run() {
    const sim = await startSimProcess();
    const env = await benchEnv('subspace');
    let peakRss = 0;
    let peakHeap = 0;
    const sample = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 100);
    const startRss = process.memoryUsage().rss;
    try {
      const blocks = Math.min(BLOCKS, sim.tip);
      const svc = await startService(subspaceBlocksService, {
        env: { ...process.env, TOCSIN_CONFIG: '' },
        config: {
          ...env.config,
          instance: 'bench',
          subspace_blocks: {
            chain_id: 'bench',
            nodes: [sim.url],
            backfill_blocks: blocks,
            max_gap: blocks + 1,
            max_blocks: blocks + 100,
            timers: false,
          },
        },
      });
      const ingestor = ingestorOf(svc.ctx);
      const t0 = performance.now();
      const deadline = Date.now() + 30 * 60_000;
      let filledAt = 0;
      while (ingestor.stats.checked < blocks) {
        if (!filledAt && ingestor.stats.checked > 0) filledAt = performance.now();
        if (Date.now() > deadline) throw new Error(`catch-up timed out at ${ingestor.stats.checked} blocks`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await ingestor.settled();
      const seconds = (performance.now() - t0) / 1000;
      // The first check comes once the gap fill (headers, read ahead) reached the bottom of the backfill.
      const fillS = (filledAt - t0) / 1000;
      const checked = ingestor.stats.checked;
      await svc.stop();
      clearInterval(sample);
      const raw = await sim.raw(sim.tip - SUBSET + 1, sim.tip);
      const rate = checked / seconds;
      const figures: Figure[] = [
        {
          name: `catch-up of ${checked} blocks (decode, fork tracking, publish)`,
          value: rate,
          unit: 'blocks/s',
          baseline: {
            name: `raw @polkadot/api fetch loop (${raw.blocks} blocks)`,
            value: raw.blocksPerSecond,
          },
          ratio: rate / raw.blocksPerSecond,
          target: '>= 500 blocks/s',
          met: rate >= 500,
          note: `${seconds.toFixed(1)} s in all: gap fill (headers) ${fillS.toFixed(1)} s, checks ${(seconds - fillS).toFixed(1)} s`,
        },
        {
          name: 'peak RSS during the catch-up',
          value: peakRss / 2 ** 20,
          unit: 'MB',
          target: '< 200 MB',
          met: peakRss < 200 * 2 ** 20,
          note: `RSS before the service started ${(startRss / 2 ** 20).toFixed(0)} MB (this harness, tsx, NATS and pg clients); peak JS heap used ${(peakHeap / 2 ** 20).toFixed(0)} MB`,
        },
      ];
      return { figures, environment: { blocks: checked, raw_subset: raw.blocks } };
    } finally {
      clearInterval(sample);
      sim.close();
      await env.cleanup();
    }
  },
};

export default bench;
