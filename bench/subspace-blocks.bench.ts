import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { nodeOptionsOf } from '@tocsin/runtime';
import pg from 'pg';
import { benchEnv, databaseUrl, natsUrl } from './src/env.ts';
import { cpuSeconds, peakRssMb, productionTree, rssMb, spawnService, stopChild } from './src/proc.ts';
import type { Benchmark, Figure } from './src/report.ts';

/**
 * Issue 10: catch-up of 10,000 blocks from the simulator (bench scenario: 10,000 history blocks with two transfers
 * each) with events decoded and fork tracking, published to NATS. subspace-blocks runs as deployed, in its own
 * process (`services/subspace-blocks/src/main.ts --config file`), with no state and a backfill of the whole chain
 * below the best block; it is done when NATS has carried one `block` event per block (blocks/s), and its peak RSS
 * (VmHWM) is read once it has saved its state after the last block. It runs with its own Node flags
 * (services/subspace-blocks/node-options, or the tree's copy: the heap limits the image, systemd and `tocsin up`
 * use too). The figures are that process's: peak RSS and CPU seconds. Baseline in the same run: the simulator's raw @polkadot/api fetch
 * loop (getBlockHash, getBlock, api.at(hash).query.system.events()) on a subset, as blocks per second.
 * SUBSPACE_BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`) passes more flags to the service's node
 * (after node-options, so they win);
 * The service runs from a production tree built at the start (`pnpm build --service subspace-blocks`, no tsx), as the
 * image runs it; SUBSPACE_BENCH_TREE=DIR uses a tree built already, SUBSPACE_BENCH_TSX=1 the sources through tsx.
 */
const BLOCKS = Number(process.env.SUBSPACE_BENCH_BLOCKS ?? 10_000);
const SUBSET = Number(process.env.SUBSPACE_BENCH_SUBSET ?? 1_000);
const NODE_ARGS = (process.env.SUBSPACE_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const TREE =
  process.env.SUBSPACE_BENCH_TSX === '1'
    ? undefined
    : process.env.SUBSPACE_BENCH_TREE || productionTree('subspace-blocks');
/** The service's own Node flags (services/subspace-blocks/node-options), which spawnService passes first. */
const nodeFlags = nodeOptionsOf(
  TREE ?? fileURLToPath(new URL('../services/subspace-blocks', import.meta.url)),
).join(' ');

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

/** Waits until the service saved its state with `blocks` checked blocks; the seconds it took. */
async function untilSaved(schema: string, blocks: number, exited: () => boolean): Promise<number> {
  const t0 = performance.now();
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    for (;;) {
      const r = await c.query<{ n: string | null }>(
        `SELECT max((state->>'checkedBlocks')::bigint)::text AS n FROM ${schema}.subspace_blocks_state`,
      );
      if (Number(r.rows[0]?.n ?? 0) >= blocks) return (performance.now() - t0) / 1000;
      if (exited()) throw new Error('subspace-blocks exited before it saved its state');
      if (performance.now() - t0 > 120_000) throw new Error('the state was not saved within 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await c.end();
  }
}

const bench: Benchmark = {
  name: 'subspace-blocks catch-up',
  issue: 10,
  async run() {
    const sim = await startSimProcess();
    const env = await benchEnv('subspace');
    const nc = await connect({ servers: natsUrl });
    try {
      const blocks = Math.min(BLOCKS, sim.tip);
      let seen = 0;
      let firstAt = 0;
      const sub = nc.subscribe(env.subjects.event('subspace-blocks', 'block'), {
        callback: () => {
          if (!seen++) firstAt = performance.now();
        },
      });
      // The service starts its catch-up as soon as it connects to the node: the clock starts before the spawn and
      // the process's start (tsx, migrations) is counted apart.
      const t0 = performance.now();
      const child = await spawnService(
        'subspace-blocks',
        {
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
        NODE_ARGS,
        TREE,
      );
      const pid = child.pid!;
      const readyS = (performance.now() - t0) / 1000;
      const readyRss = rssMb(pid);
      const readyCpu = cpuSeconds(pid);
      const deadline = Date.now() + 30 * 60_000;
      while (seen < blocks) {
        if (child.exitCode !== null) throw new Error(`subspace-blocks exited with ${child.exitCode}`);
        if (Date.now() > deadline) throw new Error(`catch-up timed out at ${seen} blocks`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const tEnd = performance.now();
      // The catch-up ends with the state saved (the fork state of every block, in one row): the peak is read
      // after that, so it includes the save.
      const savedS = await untilSaved(env.schema, blocks, () => child.exitCode !== null);
      const peak = peakRssMb(pid);
      const cpu = cpuSeconds(pid) - readyCpu;
      await stopChild(child);
      sub.unsubscribe();
      const seconds = (tEnd - t0) / 1000;
      const fillS = (firstAt - t0) / 1000;
      const raw = await sim.raw(sim.tip - SUBSET + 1, sim.tip);
      const rate = seen / seconds;
      const checkRate = seen / ((tEnd - firstAt) / 1000);
      const figures: Figure[] = [
        {
          name: `catch-up of ${seen} blocks (own process: decode, fork tracking, publish)`,
          value: rate,
          unit: 'blocks/s',
          baseline: {
            name: `raw @polkadot/api fetch loop (${raw.blocks} blocks)`,
            value: raw.blocksPerSecond,
          },
          ratio: rate / raw.blocksPerSecond,
          target: '>= 500 blocks/s',
          met: rate >= 500,
          note: `${seconds.toFixed(1)} s from spawn to the last block event: process ready ${readyS.toFixed(1)} s, first block event ${fillS.toFixed(1)} s (gap fill of headers), then ${checkRate.toFixed(0)} blocks/s checked and published; service CPU after ready ${cpu.toFixed(1)} s (${((cpu / seen) * 1000).toFixed(2)} ms/block)`,
        },
        {
          name: 'peak RSS of the subspace-blocks process (VmHWM)',
          value: peak,
          unit: 'MB',
          target: '< 200 MB',
          met: peak < 200,
          note: `RSS when ready ${readyRss.toFixed(0)} MB (${TREE ? 'production tree, no tsx' : 'sources through tsx'}: node, @polkadot/api with the metadata, NATS and pg clients); read once the state was saved, ${savedS.toFixed(1)} s after the last block event; node flags: ${nodeFlags || 'none'}`,
        },
      ];
      return {
        figures,
        environment: {
          blocks: seen,
          raw_subset: raw.blocks,
          node_args: NODE_ARGS.join(' '),
          node_options: nodeFlags,
          tree: TREE ? 'production' : 'tsx',
        },
      };
    } finally {
      await nc.close();
      sim.close();
      await env.cleanup();
    }
  },
};

export default bench;
