import { afterEach, describe, expect, it } from 'vitest';
import { hashes, type Stack, startStack } from './stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const scenario = {
  chain: { block_time_s: 0, finality_depth: 50 },
  accounts: [{ name: 'alice', balance: 10 }],
  nodes: [{ name: 'node-0' }, { name: 'node-1' }],
};

describe('subspace-blocks nodes (real @polkadot/api against the simulator)', () => {
  it('an unreachable node is a node_status event, not a crash; the others go on', async () => {
    stack = await startStack('subspace-unreachable', scenario);
    const { sim } = stack;
    const s = stack;
    await s.start({ instance: 'two', section: { nodes: [sim.nodeUrl(0), 'ws://127.0.0.1:9/nothing-here'] } });
    const built = sim.produce(2);
    await s.until('the tip checked', () => hashes(s.ofType('block')).includes(built.at(-1)!.hash));
    await s.until('the unreachable node reported', () =>
      s.ofType('node_status').some((e) => (e.data as { node: string }).node.includes(':9/')),
    );
    const down = s.ofType('node_status').find((e) => (e.data as { node: string }).node.includes(':9/'))!;
    const started = s.events.find((e) => e.source === 'system' && e.type === 'service_started')!;
    expect(started.data).toMatchObject({
      service: 'subspace-blocks',
      watches: [{ chain_id: 'autonomys-sim' }],
    });
    expect((started.data as { watches: { endpoints: string[] }[] }).watches[0]!.endpoints).toHaveLength(2);
    expect(down.data).toMatchObject({ connected: false, primary: false });
    expect((down.data as { error: string | null }).error).toEqual(expect.any(String));
  });

  it('the watchdog resubscribes after 10 minutes without a block (injected clock), and blocks flow again', async () => {
    stack = await startStack('subspace-watchdog', scenario);
    const { sim, clock } = stack;
    const inst = await stack.start();
    await stack.until('the first block checked', () => stack!.ofType('block').length > 0);
    const node = inst.ingestor.nodes[0]!;
    clock.advance(9 * 60_000);
    inst.ingestor.tick();
    expect(node.watchdogResubscribes).toBe(0);
    clock.advance(2 * 60_000);
    inst.ingestor.tick();
    expect(node.watchdogResubscribes).toBe(1);
    const built = sim.produce(3);
    await stack.until('blocks after the resubscription', () =>
      hashes(stack!.ofType('block')).includes(built.at(-1)!.hash),
    );
    const status = await inst.ingestor.status();
    expect(status.best_tip?.hash).toBe(built.at(-1)!.hash);
    expect(status.nodes[0]).toMatchObject({ connected: true, primary: true });
  });
});
