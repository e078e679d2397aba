import { callRpc } from '@tocsin/bus';
import { subspaceBlocksRpc } from '@tocsin/events';
import { afterAll, expect, it } from 'vitest';
import { hashes, type Stack, startStack } from './stack.ts';

let stack: Stack | undefined;
afterAll(async () => {
  await stack?.stop();
});

it('answers the series RPC: block time and seconds per slot of the checked blocks, as the chain stamped them', async () => {
  stack = await startStack('subspace-series', {
    chain: { block_time_s: 0, finality_depth: 50 },
    accounts: [{ name: 'alice', balance: 10 }],
    nodes: [{ name: 'node-0' }],
  });
  const s = stack;
  await s.start();
  // The first block seen is where checking starts; the window fills with the blocks after it.
  const first = s.sim.produce(1);
  await s.until('the first block checked', () => hashes(s.ofType('block')).includes(first[0]!.hash));
  const built = [...first, ...s.sim.produce(4)];
  await s.until('the blocks checked', () => hashes(s.ofType('block')).includes(built.at(-1)!.hash));
  const series = subspaceBlocksRpc.series.result.parse(
    await callRpc(s.nc, s.env.subjects.rpc('subspace-blocks', 'series'), {}),
  );
  for (let i = 1; i < built.length; i++) {
    const [prev, b] = [built[i - 1]!, built[i]!];
    const t = new Date(b.timestampMs).toISOString();
    const seconds = (b.timestampMs - prev.timestampMs) / 1000;
    expect(series.block_time).toContainEqual({ t, height: b.number, seconds });
    const slots = Number(b.slot - prev.slot);
    if (slots > 0) expect(series.slot_time).toContainEqual({ t, seconds_per_slot: seconds / slots });
  }
  // Oldest first, one point per block after the window's first.
  const heights = series.block_time.map((p) => p.height);
  expect(heights).toEqual([...heights].sort((a, b) => a - b));
  expect(heights.at(-1)).toBe(built.at(-1)!.number);
});
