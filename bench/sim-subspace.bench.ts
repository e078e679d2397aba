import { cpus, loadavg } from 'node:os';
// The bench package does not depend on the simulator; reach it by path. The simulator itself runs in a child
// process (startSubspaceSimProcess); only the client loops run here.
import { plainRpcFetchLoop, rawFetchLoop, startSubspaceSimProcess } from '../tools/sim-subspace/src/index.ts';
import type { Benchmark, Figure } from './src/report.ts';

/**
 * Issue 10, the baseline side of the subspace-blocks catch-up benchmark: the 10,000-block bench scenario
 * (two transfers and farmer votes per block) served by sim-subspace, and a raw `@polkadot/api` block-fetch loop
 * over it (getBlockHash + getBlock + System.Events per block, decoded, no fork tracking) — the loop the
 * ingestor's catch-up reports its ratio against (`rawFetchLoop` from @tocsin/sim-subspace). Its own baseline
 * here is the same requests as plain JSON over one WebSocket, nothing decoded: the node's answering ceiling.
 * SUBSPACE_RAW_BLOCKS (default 1,000) of the 10,000 blocks are fetched by each loop; rates are per block.
 */
const SUBSET = Number(process.env.SUBSPACE_RAW_BLOCKS ?? 1000);

const bench: Benchmark = {
  name: 'sim-subspace raw @polkadot/api block fetch',
  issue: 10,
  async run() {
    const sim = await startSubspaceSimProcess();
    try {
      const from = sim.best - SUBSET + 1;
      const plain = await plainRpcFetchLoop(sim.url, from, sim.best);
      const raw = await rawFetchLoop(sim.url, from, sim.best);
      const rawStorage = await rawFetchLoop(sim.url, from, sim.best, { events: 'storage' });
      const simRss = await sim.rss();
      const ceiling = { name: 'plain JSON-RPC over ws, no decoding', value: plain.blocksPerSecond };
      const figures: Figure[] = [
        {
          name: 'raw @polkadot/api loop, events via api.at(hash)',
          value: raw.blocksPerSecond,
          unit: 'blocks/s',
          baseline: ceiling,
          ratio: raw.blocksPerSecond / plain.blocksPerSecond,
          note: `${raw.blocks} blocks, ${raw.extrinsics} extrinsics, ${raw.events} events decoded`,
        },
        {
          name: 'raw @polkadot/api loop, events via query.system.events.at(hash)',
          value: rawStorage.blocksPerSecond,
          unit: 'blocks/s',
          baseline: ceiling,
          ratio: rawStorage.blocksPerSecond / plain.blocksPerSecond,
        },
        {
          name: 'simulator build of the 10,000-block scenario',
          value: sim.startupMs / 1000,
          unit: 's',
          note: `child process RSS ${Math.round(simRss / 2 ** 20)} MB`,
        },
      ];
      return {
        figures,
        environment: {
          blocks_in_chain: sim.best,
          subset: SUBSET,
          cpus: cpus().length,
          load1: loadavg()[0] ?? 0,
        },
      };
    } finally {
      await sim.close();
    }
  },
};

export default bench;
