import { QueryClient, setupIbcExtension } from '@cosmjs/stargate';
import { Comet38Client, type CometClient, connectComet } from '@cosmjs/tendermint-rpc';
import { describe, expect, it, vi } from 'vitest';
import { closeAfterTest, startTestSim } from './fixtures.ts';

const scenario = {
  chains: [
    {
      chain_id: 'provider-1',
      start_height: 100,
      clients: [{ client_id: '07-tendermint-0', counterparty_chain_id: 'consumer-1', last_update_ago_s: 60 }],
    },
    { chain_id: 'other-1' },
  ],
};

async function wsComet(httpUrl: string): Promise<CometClient> {
  const comet = await connectComet(httpUrl.replace(/^http/, 'ws'));
  return closeAfterTest(comet, (c) => c.disconnect());
}

interface EventStream<T> {
  subscribe(listener: { next: (e: T) => void; error: (e: unknown) => void }): { unsubscribe(): void };
}

/** Resolves with the first `n` events of a cosmjs stream, then unsubscribes. */
function take<T>(stream: EventStream<T>, n: number): Promise<T[]> {
  const got: T[] = [];
  return new Promise((resolve, reject) => {
    const sub = stream.subscribe({
      next: (e) => {
        got.push(e);
        if (got.length === n) {
          sub.unsubscribe();
          resolve(got);
        }
      },
      error: reject,
    });
  });
}

describe('websocket', () => {
  it('answers queries over <chain url>/websocket', async () => {
    const t = await startTestSim(scenario);
    const comet = await wsComet(t.sim.chainUrl('provider-1'));
    expect(comet).toBeInstanceOf(Comet38Client);
    expect((await comet.status()).nodeInfo.network).toBe('provider-1');
    const q = QueryClient.withExtensions(comet, setupIbcExtension);
    expect((await q.ibc.client.stateTm('07-tendermint-0')).chainId).toBe('consumer-1');
    expect(t.sim.endpointStats('provider-1').wsConnections).toBeGreaterThan(0);
  });

  it('announces new blocks to subscribeNewBlock as the clock passes', async () => {
    const t = await startTestSim(scenario);
    const comet = (await wsComet(t.sim.chainUrl('provider-1'))) as Comet38Client;
    const blocks = take(comet.subscribeNewBlock(), 2);
    // The subscribe request travels over a real socket; move time once the sim has it.
    await vi.waitFor(() => expect(t.sim.subscriberCount('provider-1')).toBe(1), { timeout: 15_000 });
    t.clock.advance(12_000);
    t.sim.tick();
    const [first, second] = await blocks;
    expect(first!.header.height).toBe(101);
    expect(second!.header.height).toBe(102);
    expect(second!.header.chainId).toBe('provider-1');
    expect(second!.header.time.getTime()).toBe(t.sim.startMs + 12_000);
  });

  it('delivers emitted Tx events to matching subscribeTx queries only, on the right chain', async () => {
    const t = await startTestSim(scenario);
    const comet = (await wsComet(t.sim.chainUrl('provider-1'))) as Comet38Client;
    const txs = take(comet.subscribeTx("tm.event='Tx' AND opt_in.consumer_id = '0'"), 1);
    const event = {
      type: 'Tx' as const,
      events: [{ type: 'opt_in', attributes: { consumer_id: '0', consumer_chain_id: 'consumer-1' } }],
    };
    await vi.waitFor(() => expect(t.sim.subscriberCount('provider-1')).toBe(1), { timeout: 15_000 });
    expect(t.sim.emit('provider-1', event)).toBe(1);
    expect(t.sim.emit('other-1', event)).toBe(0);
    expect(
      t.sim.emit('provider-1', {
        type: 'Tx',
        events: [{ type: 'opt_in', attributes: { consumer_id: '1' } }],
      }),
    ).toBe(0);
    const [tx] = await txs;
    expect(tx!.height).toBe(100);
    expect(tx!.result.events.find((e) => e.type === 'opt_in')?.attributes).toEqual([
      { key: 'consumer_id', value: '0' },
      { key: 'consumer_chain_id', value: 'consumer-1' },
    ]);
    // cosmjs stopped listening: the sim gets the unsubscribe and stops delivering.
    await vi.waitFor(() => expect(t.sim.subscriberCount('provider-1')).toBe(0), { timeout: 15_000 });
    expect(t.sim.emit('provider-1', event)).toBe(0);
  });

  it('emits update_client when a client is updated', async () => {
    const t = await startTestSim(scenario);
    const comet = (await wsComet(t.sim.chainUrl('provider-1'))) as Comet38Client;
    const updates = take(comet.subscribeTx("update_client.client_id = '07-tendermint-0'"), 1);
    await vi.waitFor(() => expect(t.sim.subscriberCount('provider-1')).toBe(1), { timeout: 15_000 });
    t.clock.advance(60_000);
    t.sim.updateClient('provider-1', '07-tendermint-0');
    const [tx] = await updates;
    const update = tx!.result.events.find((e) => e.type === 'update_client');
    expect(update?.attributes.find((a) => a.key === 'client_type')?.value).toBe('07-tendermint');
    expect(update?.attributes.find((a) => a.key === 'consensus_height')?.value).toMatch(/^1-\d+$/);
  });

  it('rejects a malformed subscription query with an error on the same id', async () => {
    const t = await startTestSim(scenario);
    const comet = (await wsComet(t.sim.chainUrl('provider-1'))) as Comet38Client;
    await expect(take(comet.subscribeTx('this is not a query'), 1)).rejects.toMatch(/failed to parse query/);
  });
});
