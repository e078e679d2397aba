import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { EventEnvelope } from '@tocsin/events';
import { afterEach, describe, expect, it } from 'vitest';
import { hashes, type Stack, startStack } from './stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const accounts = [
  { name: 'alice', balance: 5_000_000 },
  { name: 'bob', balance: 100 },
];

/** Every event stored in the stream (JetStream keeps one per Nats-Msg-Id within the duplicate window). */
async function stored(s: Stack): Promise<EventEnvelope[]> {
  const nc = await connect({ servers: s.env.natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const stream = s.env.subjects.streams.events;
    const { state } = await jsm.streams.info(stream);
    const out: EventEnvelope[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m) out.push(m.json<EventEnvelope>());
    }
    return out;
  } finally {
    await nc.close();
  }
}

const countBy = (list: string[]) =>
  list.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());

describe('subspace-blocks resilience (real @polkadot/api, NATS, PostgreSQL)', () => {
  it('two instances on different nodes: every fact is stored once', async () => {
    stack = await startStack('subspace-two', {
      chain: { block_time_s: 0, finality_depth: 50 },
      accounts,
      nodes: [{ name: 'node-0' }, { name: 'node-1' }],
    });
    const { sim } = stack;
    await stack.start({ instance: 'a', nodes: ['node-0'] });
    await stack.start({ instance: 'b', nodes: ['node-1'] });
    await stack.until('both started', () => stack!.ofType('block').length >= 2);
    sim.apply({ transfer: { from: 'alice', to: 'bob', amount: 2_000_000 } });
    const built = sim.produce(5);
    await stack.until(
      'both checked the tip',
      () =>
        stack!.ofType('block').filter((e) => (e.data as { hash: string }).hash === built.at(-1)!.hash)
          .length === 2,
    );
    // Both instances published every block and the transfer (core NATS sees both publications)...
    const published = countBy(stack.ofType('transfer').map((e) => e.dedup_key));
    expect([...published.values()]).toEqual([2, 2]);
    // ...and the stream holds each once.
    const kept = (await stored(stack)).filter((e) => e.type === 'block' || e.type === 'transfer');
    const keys = kept.map((e) => `${e.type}:${e.dedup_key}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(kept.filter((e) => e.type === 'transfer')).toHaveLength(2);
    for (const b of built) expect(kept.filter((e) => e.dedup_key === b.hash)).toHaveLength(1);
  });

  it('restart mid-stream: blocks missed while down are checked, none checked twice', async () => {
    stack = await startStack('subspace-restart', {
      chain: { block_time_s: 0, finality_depth: 50 },
      accounts,
      nodes: [{ name: 'node-0' }],
    });
    const { sim } = stack;
    const first = await stack.start();
    await stack.until('the genesis block checked', () => stack!.ofType('block').length === 1);
    const before = sim.produce(4);
    await stack.until('the tip checked', () => hashes(stack!.ofType('block')).includes(before.at(-1)!.hash));
    await first.stop();
    sim.apply({ transfer: { from: 'alice', to: 'bob', amount: 1_500_000 } });
    const whileDown = sim.produce(6);
    await stack.start();
    const after = sim.produce(2);
    await stack.until('the new tip checked', () =>
      hashes(stack!.ofType('block')).includes(after.at(-1)!.hash),
    );
    const checked = hashes(stack.ofType('block'));
    expect(checked).toEqual(
      [sim.block(0).hash, ...before, ...whileDown, ...after].map((b) => (typeof b === 'string' ? b : b.hash)),
    );
    expect(stack.ofType('transfer')).toHaveLength(2);
  });

  it('node disconnect during gap fill: the gap is filled after the reconnect, no block checked twice', async () => {
    stack = await startStack('subspace-disconnect', {
      chain: { block_time_s: 0, finality_depth: 500 },
      accounts,
      nodes: [{ name: 'node-0', delivery: 'manual' }],
    });
    const { sim } = stack;
    const inst = await stack.start();
    await stack.until('the genesis block checked', () => stack!.ofType('block').length === 1);
    const built = sim.produce(300);
    sim.announce('node-0', [built.at(-1)!.hash], ['new']);
    const deadline = Date.now() + 30_000;
    while (inst.ingestor.stats.fetchedParents < 20) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the gap fill to start');
      await new Promise((r) => setTimeout(r, 1));
    }
    sim.disconnect('node-0');
    const fetchedAtDisconnect = inst.ingestor.stats.fetchedParents;
    expect(fetchedAtDisconnect).toBeLessThan(299);
    await new Promise((r) => setTimeout(r, 200));
    sim.reconnect('node-0');
    await stack.until(
      'the tip checked',
      () => hashes(stack!.ofType('block')).includes(built.at(-1)!.hash),
      60_000,
    );
    const checked = hashes(stack.ofType('block'));
    expect(checked).toEqual([sim.block(0).hash, ...built.map((b) => b.hash)]);
    const status = stack.ofType('node_status').map((e) => e.data as { connected: boolean });
    expect(status.some((s) => !s.connected)).toBe(true);
  });
});
