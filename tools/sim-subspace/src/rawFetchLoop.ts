import { ApiPromise, WsProvider } from '@polkadot/api';
import WebSocket from 'ws';
import { STORAGE } from './codec.ts';

export interface RawFetchResult {
  blocks: number;
  extrinsics: number;
  events: number;
  /** Wall time of the fetch loop alone (connection and metadata excluded). */
  ms: number;
  blocksPerSecond: number;
}

export interface RawFetchOptions {
  /**
   * How events are read: `at` (default) = `(await api.at(hash)).query.system.events()`, the idiomatic
   * polkadot-js way (a header and runtime-version lookup per block); `storage` =
   * `api.query.system.events.at(hash)`, one `state_getStorage` decoded with the current metadata.
   */
  events?: 'at' | 'storage';
}

/**
 * The baseline of the catch-up benchmark: a plain `@polkadot/api` loop fetching blocks `from..to` (inclusive)
 * one after another — `getBlockHash`, `getBlock` (extrinsics decoded), the block's `System.Events` (decoded) —
 * with no fork tracking. A service's catch-up is reported as a ratio to this.
 */
export async function rawFetchLoop(
  url: string,
  from: number,
  to: number,
  options: RawFetchOptions = {},
): Promise<RawFetchResult> {
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
      let records: unknown;
      if (options.events === 'storage') {
        records = await api.query.system?.events?.at(hash);
      } else {
        records = await (await api.at(hash)).query.system?.events?.();
      }
      if (!Array.isArray(records)) throw new Error(`no System.Events at #${n}`);
      events += records.length;
    }
    const ms = performance.now() - t0;
    const blocks = to - from + 1;
    return { blocks, extrinsics, events, ms, blocksPerSecond: (blocks * 1000) / ms };
  } finally {
    await api.disconnect();
  }
}

/**
 * The same three requests per block as JSON over one WebSocket, nothing decoded: how fast the node (here the
 * simulator) answers, i.e. the ceiling any client loop on it can reach.
 */
export async function plainRpcFetchLoop(url: string, from: number, to: number): Promise<RawFetchResult> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let id = 0;
  const pending = new Map<number, (v: unknown) => void>();
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { id: number; result?: unknown; error?: { message: string } };
    pending.get(msg.id)?.(msg.error ? new Error(msg.error.message) : msg.result);
    pending.delete(msg.id);
  });
  const call = (method: string, params: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const n = ++id;
      pending.set(n, (v) => (v instanceof Error ? reject(v) : resolve(v)));
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: n, method, params }));
    });
  try {
    let extrinsics = 0;
    let events = 0;
    const t0 = performance.now();
    for (let n = from; n <= to; n++) {
      const hash = (await call('chain_getBlockHash', [n])) as string;
      const block = (await call('chain_getBlock', [hash])) as { block: { extrinsics: string[] } };
      extrinsics += block.block.extrinsics.length;
      const ev = (await call('state_getStorage', [STORAGE.systemEvents, hash])) as string;
      events += ev.length > 2 ? 1 : 0;
    }
    const ms = performance.now() - t0;
    const blocks = to - from + 1;
    return { blocks, extrinsics, events, ms, blocksPerSecond: (blocks * 1000) / ms };
  } finally {
    ws.close();
  }
}
