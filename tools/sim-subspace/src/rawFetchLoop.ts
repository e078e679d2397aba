import { ApiPromise, WsProvider } from '@polkadot/api';

export interface RawFetchResult {
  blocks: number;
  extrinsics: number;
  events: number;
  /** Wall time of the fetch loop alone (connection and metadata excluded). */
  ms: number;
  blocksPerSecond: number;
}

/**
 * The baseline of the catch-up benchmark: a plain `@polkadot/api` loop fetching blocks `from..to` (inclusive)
 * one after another — `getBlockHash`, `getBlock` (extrinsics decoded), `api.at(hash).query.system.events()`
 * (events decoded) — with no fork tracking. A service's catch-up is reported as a ratio to this.
 */
export async function rawFetchLoop(url: string, from: number, to: number): Promise<RawFetchResult> {
  const provider = new WsProvider(url, false);
  await provider.connect();
  const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
  try {
    let extrinsics = 0;
    let events = 0;
    const t0 = performance.now();
    for (let n = from; n <= to; n++) {
      const hash = await api.rpc.chain.getBlockHash(n);
      const block = await api.rpc.chain.getBlock(hash);
      extrinsics += block.block.extrinsics.length;
      for (const x of block.block.extrinsics) void x.method.section;
      const at = await api.at(hash);
      const query = at.query.system?.events;
      if (!query) throw new Error('the node has no System.Events');
      events += ((await query()) as unknown as unknown[]).length;
    }
    const ms = performance.now() - t0;
    const blocks = to - from + 1;
    return { blocks, extrinsics, events, ms, blocksPerSecond: (blocks * 1000) / ms };
  } finally {
    await api.disconnect();
  }
}
