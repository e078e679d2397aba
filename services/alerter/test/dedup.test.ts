import { createPublisher } from '@tocsin/bus';
import { type Notification, newId } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publishClient } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
let h: Harness;

/** Subspace-style rules about one extrinsic, highest rank wins: sudo > large > force > important transfer > activity. */
const onChain = (id: string, type: string, threshold: string, rank: number) => ({
  id,
  match: { source: 'subspace', type },
  condition: { threshold },
  severity: rank >= 40 ? 'critical' : 'warning',
  labels: { extrinsic: '{{ extrinsic }}' },
  fingerprint: ['chain_id', 'extrinsic'],
  priority: { object: 'extrinsic', rank },
  resolve_after: '1h',
  send_resolved: false,
  summary: `${id} in {{ extrinsic }}`,
});
const rules = [
  onChain('sudo', 'sudo', 'true', 50),
  onChain('large-transfer', 'transfer', 'amount >= 1000000', 40),
  onChain('force-transfer', 'transfer', "kind == 'force'", 30),
  onChain('important-transfer', 'transfer', 'important', 20),
  onChain('important-activity', 'address_activity', 'true', 10),
  {
    id: 'side-fork',
    match: { source: 'subspace', type: 'side_fork' },
    condition: { threshold: 'depth >= 6' },
    value: 'depth',
    steps: { every: 10 },
    severity: 'warning',
    labels: { fork: '{{ fork }}' },
    fingerprint: ['chain_id', 'fork'],
    summary: 'side fork {{ fork }} is {{ depth }} blocks deep',
  },
  {
    id: 'reorg',
    match: { source: 'subspace', type: 'reorg' },
    condition: { threshold: 'depth >= 6' },
    severity: 'critical',
    labels: { tip: '{{ new_tip }}' },
    resolve_after: '1h',
    summary: 'reorg of {{ depth }} blocks to {{ new_tip }}',
  },
];

beforeAll(async () => {
  env = await testEnv('alerter-dedup');
  h = await startAlerter(env, { defaults: { group_wait: 0, group_interval: 0, priority_wait: '2s' }, rules });
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});
beforeEach(() => {
  h.notifications.items.length = 0;
});

const summary = (ns: Notification[]) =>
  ns.flatMap((n) => n.alerts.map((a) => `${n.transition}:${a.summary}`));

describe('dedup', () => {
  it('one notification per transition per episode, whatever the number of identical events', async () => {
    // Expiry rules have a priority object: their firings wait priority_wait (2 s) for a higher kind.
    for (let i = 0; i < 30; i++) {
      await publishClient(h, 'dup-1', 'client-0', {
        trusting: 1_814_400,
        elapsed: 1_500_000 + i,
        instance: `n${i % 3}`,
      });
    }
    await h.settle();
    await h.advance(2_000);
    for (let i = 0; i < 10; i++) {
      await publishClient(h, 'dup-1', 'client-0', { trusting: 1_814_400, elapsed: 30 + i, height: 500 });
    }
    await h.settle();
    const ns = await h.received();
    expect(ns.map((n) => n.transition)).toEqual(['firing', 'resolved']);
    expect(new Set(ns.map((n) => n.alerts[0]!.episode_id)).size).toBe(1);
    expect(ns.map((n) => n.key)).toEqual([
      `${ns[0]!.alerts[0]!.episode_id}:firing`,
      `${ns[0]!.alerts[0]!.episode_id}:resolved`,
    ]);
  });

  it('firing again after resolution opens a new episode', async () => {
    await publishClient(h, 'dup-2', 'client-0', { trusting: 1_814_400, elapsed: 1_500_000 });
    await h.settle();
    await h.advance(2_000);
    await publishClient(h, 'dup-2', 'client-0', { trusting: 1_814_400, elapsed: 10 });
    await h.settle();
    h.clock.advance(1000);
    await publishClient(h, 'dup-2', 'client-0', { trusting: 1_814_400, elapsed: 1_500_000 });
    await h.settle();
    await h.advance(2_000);
    const ns = await h.received();
    expect(ns.map((n) => n.transition)).toEqual(['firing', 'resolved', 'firing']);
    const eps = ns.map((n) => n.alerts[0]!.episode_id);
    expect(eps[0]).toBe(eps[1]);
    expect(eps[2]).not.toBe(eps[0]);
    expect(ns[2]!.alerts[0]!.fingerprint).toBe(ns[0]!.alerts[0]!.fingerprint);
  });

  it('several rules about one on-chain object notify once, as the highest kind', async () => {
    const x = '0xaaa-1';
    const y = '0xbbb-2';
    // A sudo call that is also a large, forced transfer touching an important address, plus the activity.
    await h.emit(
      'subspace',
      'address_activity',
      { extrinsic: x, address: 'treasury' },
      { chain_id: 'prio-1' },
    );
    await h.emit(
      'subspace',
      'transfer',
      { extrinsic: x, amount: 2_000_000, kind: 'force', important: true },
      { chain_id: 'prio-1' },
    );
    await h.emit('subspace', 'sudo', { extrinsic: x }, { chain_id: 'prio-1' });
    // A small plain transfer to an important address: the important-address transfer beats the activity.
    await h.emit(
      'subspace',
      'transfer',
      { extrinsic: y, amount: 5, kind: 'transfer', important: true },
      { chain_id: 'prio-1' },
    );
    await h.emit(
      'subspace',
      'address_activity',
      { extrinsic: y, address: 'treasury' },
      { chain_id: 'prio-1' },
    );
    await h.settle();
    expect(await h.received()).toEqual([]);
    await h.advance(2_000);
    const ns = await h.received();
    expect(summary(ns).sort()).toEqual([`firing:important-transfer in ${y}`, `firing:sudo in ${x}`]);
    const suppressed = await h.running.ctx.pool.query(
      `SELECT rule_id FROM alerter_episodes WHERE chain_id = 'prio-1' AND suppressed_by IS NOT NULL ORDER BY rule_id`,
    );
    expect(suppressed.rows.map((r) => r.rule_id)).toEqual([
      'force-transfer',
      'important-activity',
      'important-activity',
      'important-transfer',
      'large-transfer',
    ]);
  });

  it('fork depth alerts at the threshold, then only at multiples of 10', async () => {
    for (let depth = 1; depth <= 25; depth++) {
      h.clock.advance(6000);
      await h.emit('subspace', 'side_fork', { fork: 'f1', depth }, { chain_id: 'fork-1' });
      await h.settle();
    }
    const ns = await h.received();
    expect(ns.map((n) => `${n.transition}:${n.alerts[0]!.value}`)).toEqual([
      'firing:6',
      'repeat:10',
      'repeat:20',
    ]);
    expect(ns[1]!.key).not.toBe(ns[2]!.key);
  });

  it('the same fact reported by several ingestor instances counts once', async () => {
    const a = createPublisher({
      nc: h.nc,
      subjects: env.subjects,
      instance: 'node-a',
      now: () => h.clock.now(),
    });
    const b = createPublisher({
      nc: h.nc,
      subjects: env.subjects,
      instance: 'node-b',
      now: () => h.clock.now(),
    });
    const reorg = (instance: string) => ({
      id: newId(h.clock.now()),
      source: 'subspace',
      type: 'reorg',
      version: 1,
      chain_id: 'multi-1',
      instance,
      observed_at: new Date(h.clock.now()).toISOString(),
      dedup_key: 'reorg:0xold:0xnew',
      data: { depth: 7, new_tip: '0xnew' },
    });
    // Same dedup_key from two instances: stored once by the stream.
    const first = await a.publishEnvelope(reorg('node-a'));
    const second = await b.publishEnvelope(reorg('node-b'));
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
    // A third node sees it a minute later, with its own key: same alert, nothing new to say.
    h.clock.advance(60_000);
    await b.publishEnvelope({ ...reorg('node-c'), dedup_key: 'reorg:0xold:0xnew:node-c' });
    await h.settle();
    const ns = await h.received();
    expect(summary(ns)).toEqual(['firing:reorg of 7 blocks to 0xnew']);
  });
});
