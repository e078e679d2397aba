import { describe, expect, it } from 'vitest';
import { eventually, Heads, startTestSim, subscribeAllHeads } from './fixtures.ts';

const manual = { block_time_s: 0, finality_depth: 10, history_blocks: 5 };

describe('forks and reorgs seen through @polkadot/api subscriptions', () => {
  it('announces a side fork on all heads only, then a reorg onto it on new heads', async () => {
    const t = await startTestSim({ chain: manual });
    const { sim } = t;
    const client = await t.api();
    const best = new Heads();
    await client.rpc.chain.subscribeNewHeads(best.push);
    const all = await subscribeAllHeads(t, client);

    const fork = sim.fork('b', 'main@tip-2', 3); // #4', #5', #6' on main's #3
    const [, , b6] = fork;
    await all.waitFor(b6?.hash as string, 'the fork on all heads');
    expect(all.hashes()).toEqual(fork.map((b) => b.hash));
    expect(best.numbers()).toEqual([5]);
    expect((await client.rpc.chain.getBlockHash(4)).toHex()).toBe(sim.block('main@4').hash);

    sim.switchTo('b');
    await best.waitFor(b6?.hash as string, 'the reorg on new heads');
    expect(best.numbers()).toEqual([5, 6]);
    // The node's canonical chain is now the fork's: by number, hashes of b.
    expect((await client.rpc.chain.getBlockHash(4)).toHex()).toBe(sim.block('b@4').hash);
    expect((await client.rpc.chain.getHeader(b6?.hash)).parentHash.toHex()).toBe(fork[1]?.hash);
    // Production continues on the new best branch.
    const [next] = sim.produce(1);
    expect(next?.parentHash).toBe(b6?.hash);
    await best.waitFor(next?.hash as string, 'the next block on b');
  });

  it('reports a backwards reorg: the new best block is lower than the old one', async () => {
    const { sim, api } = await startTestSim({ chain: manual });
    const client = await api();
    const best = new Heads();
    await client.rpc.chain.subscribeNewHeads(best.push);
    sim.produce(3); // main #8
    const [low] = sim.fork('short', 'main@5', 1); // #6 on #5
    sim.switchTo('short');
    await best.waitFor(low?.hash as string, 'the backwards reorg');
    expect(best.numbers().slice(-2)).toEqual([8, 6]);
    expect((await client.rpc.chain.getHeader()).number.toNumber()).toBe(6);
    expect((await client.rpc.chain.getBlockHash(7)).isEmpty).toBe(true);
  });

  it('serves several nodes, each with its own view of the forks', async () => {
    const { sim, api } = await startTestSim({
      chain: manual,
      nodes: [{ name: 'node-0' }, { name: 'node-1', sees: 'own' }],
    });
    sim.fork('b', 'main@tip-1', 2);
    sim.switchTo('b', { nodes: ['node-1'], produce: false });
    sim.produce(1); // main #6
    const a = await api('node-0');
    const b = await api('node-1');
    expect(sim.nodeUrl('node-1')).toMatch(/\/node-1$/);
    expect((await a.rpc.chain.getHeader()).hash.toHex()).toBe(sim.block('main@tip').hash);
    expect((await b.rpc.chain.getHeader()).hash.toHex()).toBe(sim.block('b@tip').hash);
    expect((await a.rpc.chain.getBlockHash(5)).toHex()).toBe(sim.block('main@5').hash);
    expect((await b.rpc.chain.getBlockHash(5)).toHex()).toBe(sim.block('b@5').hash);
    // node-1 sees only its own branch: main's new block is unknown to it.
    expect((await b.rpc.chain.getBlock(sim.block('main@6').hash).catch(() => null))?.isEmpty ?? true).toBe(
      true,
    );
    expect((await a.rpc.chain.getBlock(sim.block('b@6').hash)).block.header.number.toNumber()).toBe(6);
  });

  it('delivers blocks out of order and skips some, as the ingestor must expect', async () => {
    const t = await startTestSim({ chain: manual, nodes: [{ name: 'n', delivery: 'manual' }] });
    const { sim } = t;
    // The tree of the original alerter's example: A–F on main, C1–D1 on one fork, C2–D2–E2 on another.
    const [a, , , , , f] = sim.produce(6); // #6..#11
    const [c1, d1] = sim.fork('one', 'main@tip', 2);
    const [c2, d2, e2] = sim.fork('two', 'main@tip', 3);
    const client = await t.api();
    const all = await subscribeAllHeads(t, client);
    const order = [a, f, c1, d1, c2, d2, e2].map((b) => b?.hash as string);
    sim.announce('n', order.slice(0, 4));
    await all.waitFor(order[3] as string, 'A F C1 D1');
    sim.announce('n', order.slice(4));
    await all.waitFor(order[6] as string, 'C2 D2 E2');
    expect(all.hashes()).toEqual(order);
    // Blocks B..E were never announced but are served.
    expect((await client.rpc.chain.getBlock(sim.block('main@8').hash)).block.header.number.toNumber()).toBe(
      8,
    );
  });

  it('skips announcements: missed blocks are still served by hash and number', async () => {
    const t = await startTestSim({ chain: manual });
    const { sim } = t;
    const client = await t.api();
    const best = new Heads();
    await client.rpc.chain.subscribeNewHeads(best.push);
    const all = await subscribeAllHeads(t, client);
    sim.apply({ skip_announcements: { blocks: 2 } });
    const blocks = sim.produce(3); // #6 #7 silent, #8 announced
    await all.waitFor(blocks[2]?.hash as string, 'block #8');
    expect(all.numbers()).toEqual([8]);
    expect(best.numbers()).toEqual([5, 8]);
    expect((await client.rpc.chain.getBlockHash(7)).toHex()).toBe(blocks[1]?.hash);
  });

  it('drops connections when a node disconnects and refuses new ones until it is back', async () => {
    const { sim, api } = await startTestSim({ chain: manual });
    const client = await api();
    let disconnected = false;
    client.on('disconnected', () => {
      disconnected = true;
    });
    sim.disconnect(0);
    await eventually(() => disconnected, 20_000, 'the client to see the disconnect');
    await expect(api()).rejects.toThrow();
    sim.reconnect(0);
    const again = await api();
    expect((await again.rpc.chain.getHeader()).number.toNumber()).toBe(5);
  });
});
