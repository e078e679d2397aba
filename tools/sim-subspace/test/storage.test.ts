import { describe, expect, it } from 'vitest';
import { AI3, STORAGE } from '../src/codec.ts';
import { eventually, startTestSim } from './fixtures.ts';

interface AccountInfo {
  data: { free: { toBigInt(): bigint } };
}

const scenario = {
  chain: { block_time_s: 0 },
  accounts: [
    { name: 'alice', balance: 100 },
    { name: 'bob', balance: 50 },
  ],
};

describe('storage reads and subscriptions', () => {
  it('pushes balance changes to a state_subscribeStorage subscriber (api.query.system.account(addr, cb))', async () => {
    const { sim, api } = await startTestSim(scenario);
    const client = await api();
    const seen: bigint[] = [];
    const query = client.query.system?.account;
    if (!query) throw new Error('no System.Account');
    await query(sim.accounts.bob?.address, (info: unknown) => {
      seen.push((info as AccountInfo).data.free.toBigInt());
    });
    await eventually(() => seen.length === 1, 20_000, 'the first balance');
    sim.apply({ drain: { account: 'bob', per_block: 10 } });
    sim.produce(2);
    await eventually(() => seen.length === 3, 20_000, 'two balance changes');
    expect(seen).toEqual([50n * AI3, 40n * AI3, 30n * AI3]);
    sim.apply({ drain: { account: 'bob', per_block: 0 } });
    sim.produce(1); // no change for bob: nothing is pushed
    sim.apply({ set_balance: { account: 'bob', amount: 7 } });
    sim.produce(1);
    await eventually(() => seen.length === 4, 20_000, 'the set balance');
    expect(seen.at(-1)).toBe(7n * AI3);
  });

  it('lists accounts for .entries() through state_getKeysPaged', async () => {
    const { sim, api } = await startTestSim(scenario);
    const client = await api();
    const entries = (await client.query.system?.account?.entries()) ?? [];
    const byAddress = new Map(
      entries.map(([key, value]) => [
        key.args[0]?.toString(),
        (value as unknown as AccountInfo).data.free.toBigInt(),
      ]),
    );
    expect(byAddress).toEqual(
      new Map([
        [sim.accounts.alice?.address, 100n * AI3],
        [sim.accounts.bob?.address, 50n * AI3],
      ]),
    );
  });

  it('answers JSON-RPC over HTTP POST, batches included', async () => {
    const { sim } = await startTestSim(scenario);
    sim.produce(2);
    const url = sim.nodeUrl(0).replace(/^ws/, 'http');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'chain_getBlockHash', params: [2] },
        { jsonrpc: '2.0', id: 2, method: 'state_getStorage', params: [STORAGE.systemNumber] },
        { jsonrpc: '2.0', id: 3, method: 'chain_subscribeNewHeads', params: [] },
        { jsonrpc: '2.0', id: 4, method: 'nope', params: [] },
      ]),
    });
    const body = (await res.json()) as Array<{ id: number; result?: unknown; error?: { code: number } }>;
    expect(body[0]?.result).toBe(sim.block(2).hash);
    expect(body[1]?.result).toBe('0x02000000');
    expect(body[2]?.error?.code).toBe(-32601);
    expect(body[3]?.error?.code).toBe(-32601);
    const unknown = await fetch(url.replace(/\/node-0$/, '/ghost'), { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
  });
});
