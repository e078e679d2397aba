import { afterEach, describe, expect, it } from 'vitest';
import { hashes, type Stack, startStack } from './stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const scenario = (delivery: 'auto' | 'manual') => ({
  chain: { block_time_s: 0, finality_depth: 50 },
  accounts: [
    { name: 'alice', balance: 5_000_000 },
    { name: 'bob', balance: 10 },
  ],
  farmers: { count: 3, vote_every_blocks: 1 },
  nodes: [{ name: 'node-0', delivery }],
});

describe('subspace-blocks fork tracking against the simulator (real @polkadot/api, NATS, PostgreSQL)', () => {
  it('the original example: A–F–C1–D1, then C2–D2–E2 → checked A F C1 D1 C2 D2 E2, one reorg D1 → E2', async () => {
    stack = await startStack('subspace-example', scenario('manual'));
    const { sim } = stack;
    await stack.start();
    const genesis = sim.block(0).hash;
    await stack.until('the genesis block checked', () => hashes(stack!.ofType('block')).includes(genesis));

    const [A, F, C1, D1] = sim.produce(4);
    const [C2, D2, E2] = sim.fork('b', F!.hash, 3);
    sim.announce('node-0', [A!.hash, F!.hash, C1!.hash, D1!.hash], ['new', 'all']);
    await stack.until('D1 checked', () => hashes(stack!.ofType('block')).includes(D1!.hash));
    sim.announce('node-0', [C2!.hash, D2!.hash], ['all']);
    sim.announce('node-0', [E2!.hash], ['new', 'all']);
    await stack.until('E2 checked', () => hashes(stack!.ofType('block')).includes(E2!.hash));

    const checked = hashes(stack.ofType('block'));
    expect(checked).toEqual(
      [genesis, A, F, C1, D1, C2, D2, E2].map((b) => (typeof b === 'string' ? b : b!.hash)),
    );
    const reorgs = stack.ofType('reorg');
    expect(reorgs).toHaveLength(1);
    expect(reorgs[0]!.data).toMatchObject({
      old_tip: { height: 4, hash: D1!.hash },
      new_tip: { height: 5, hash: E2!.hash },
      common_ancestor: { height: 2, hash: F!.hash },
      depth: 2,
      backwards: false,
    });
  });

  it('a skipped range is gap-filled and each block checked once, in order', async () => {
    stack = await startStack('subspace-gapfill', scenario('auto'));
    const { sim } = stack;
    await stack.start();
    const genesis = sim.block(0).hash;
    await stack.until('the genesis block checked', () => hashes(stack!.ofType('block')).includes(genesis));
    sim.apply({ skip_announcements: { node: 'node-0', blocks: 12 } });
    const built = sim.produce(15);
    await stack.until('the tip checked', () => hashes(stack!.ofType('block')).includes(built.at(-1)!.hash));
    expect(hashes(stack.ofType('block'))).toEqual([genesis, ...built.map((b) => b.hash)]);
    expect(stack.ofType('reorg')).toHaveLength(0);
  });

  it('a backwards reorg (to a lower tip) is reported as backwards', async () => {
    stack = await startStack('subspace-backwards', scenario('auto'));
    const { sim } = stack;
    await stack.start();
    await stack.until('the genesis block checked', () => stack!.ofType('block').length > 0);
    const main = sim.produce(8);
    const side = sim.fork('low', main[2]!.hash, 2);
    await stack.until('the main tip checked', () =>
      hashes(stack!.ofType('block')).includes(main.at(-1)!.hash),
    );
    sim.switchTo('low', { produce: false });
    await stack.until('the lower tip checked', () =>
      hashes(stack!.ofType('block')).includes(side.at(-1)!.hash),
    );
    const r = stack.ofType('reorg');
    expect(r).toHaveLength(1);
    expect(r[0]!.data).toMatchObject({
      old_tip: { height: 8 },
      new_tip: { height: 5, hash: side.at(-1)!.hash },
      common_ancestor: { height: 3, hash: main[2]!.hash },
      depth: 5,
      backwards: true,
    });
    expect(hashes(stack.ofType('block')).slice(-2)).toEqual(side.map((b) => b.hash));
  });
});
