import { jetstreamManager } from '@nats-io/jetstream';
import { type AlerterHandle, createAlerterService } from '@tocsin/alerter';
import type { Notification } from '@tocsin/events';
import { type RunningService, startService } from '@tocsin/runtime';
import { collect, eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashes, type Stack, startStack } from '../../services/subspace-blocks/test/stack.ts';

/**
 * simulator → subspace-blocks → alerter (its shipped default rules) → notifications, on one ManualClock: the
 * priority between the facts of one extrinsic, and two instances on different nodes alerting once.
 */
let s: Stack;
let alerter: RunningService;
let handle: AlerterHandle;
let notifications: ReturnType<typeof collect<Notification>>;

beforeAll(async () => {
  s = await startStack('subspace-e2e', {
    chain: { block_time_s: 0, finality_depth: 50 },
    sudo: 'sudo',
    accounts: [
      { name: 'alice', balance: 10_000_000 },
      { name: 'bob', balance: 100 },
      { name: 'sudo', uri: '//Sudo', balance: 10 },
    ],
    farmers: { count: 3, vote_every_blocks: 1 },
    nodes: [{ name: 'node-0' }, { name: 'node-1' }],
  });
  notifications = collect<Notification>(s.nc, s.env.subjects.alerts());
  let ready: AlerterHandle | undefined;
  alerter = await startService(createAlerterService({ onReady: (h) => (ready = h) }), {
    argv: [],
    env: s.env.env,
    clock: s.clock,
    config: {
      ...s.env.config,
      alerter: {
        tick_interval: 0,
        defaults: { group_wait: 0, group_interval: 0 },
        rules: [
          // Heartbeats run on real time; with a manual clock the ingestor would look silent.
          { id: 'service-silent', enabled: false },
          // The clock moves minutes at a time here: no stall alerts in between.
          { id: 'subspace-stall', enabled: false },
        ],
      },
    },
  });
  handle = ready!;
  const important = [{ address: s.sim.accounts.bob!.address, label: 'Bob Treasury' }];
  await s.start({ instance: 'a', nodes: ['node-0'], section: { important_addresses: important } });
  await s.start({ instance: 'b', nodes: ['node-1'], section: { important_addresses: important } });
  await s.until('both instances started', () => s.ofType('block').length >= 2);
});
afterAll(async () => {
  notifications?.stop();
  await alerter?.stop();
  await s?.stop();
});

/** Waits until the alerter applied every event, then runs its timers past priority_wait until `check` holds. */
async function settle(check: () => boolean, what: string) {
  const jsm = await jetstreamManager(s.nc);
  await eventually(
    async () => {
      const info = await jsm.consumers.info(s.env.subjects.streams.events, 'alerter');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    30_000,
    'the alerter to apply every event',
  );
  await handle.idle();
  await eventually(
    async () => {
      s.clock.advance(1000);
      await handle.tick();
      await s.nc.flush();
      return check();
    },
    30_000,
    what,
  );
}

const aboutBlock = (hash: string) =>
  notifications.items.filter((n) => n.alerts.some((a) => a.labels.block === hash));

describe('simulator → subspace-blocks (two instances) → alerter', () => {
  it('a sudo call that is also a large transfer to an important address alerts once, as sudo', async () => {
    s.sim.apply({ force_transfer: { source: 'alice', dest: 'bob', amount: 2_000_000 } });
    const [b] = s.sim.produce(1);
    await s.until(
      'both instances checked it',
      () => hashes(s.ofType('block')).filter((h) => h === b!.hash).length === 2,
    );
    // The facts: sudo (call and Sudid event), a force transfer (call and Transfer event), large and to an important
    // address, each published by both instances.
    expect(s.ofType('sudo').filter((e) => e.data.explorer_url).length).toBe(4);
    await settle(() => aboutBlock(b!.hash).length > 0, 'the notification');
    // Past the priority wait and more: nothing else comes.
    s.clock.advance(60_000);
    await handle.tick();
    await s.nc.flush();
    const sent = aboutBlock(b!.hash);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ transition: 'firing', severity: 'critical', source: 'subspace-blocks' });
    expect(sent[0]!.alerts).toHaveLength(1);
    expect(sent[0]!.alerts[0]!.rule_id).toBe('subspace-sudo');
    expect(sent[0]!.alerts[0]!.summary).toContain('balances.forceTransfer');
    expect(sent[0]!.alerts[0]!.links[0]!.url).toMatch(
      /^https:\/\/autonomys\.subscan\.io\/extrinsic\/\d+-\d+$/,
    );
  });

  it('a large transfer seen by two instances on different nodes alerts once', async () => {
    s.sim.apply({ transfer: { from: 'alice', to: 'alice', amount: 0 } });
    s.sim.apply({ transfer: { from: 'alice', to: 'bob', amount: 1_000_000 } });
    const [b] = s.sim.produce(1);
    await s.until(
      'both instances checked it',
      () => hashes(s.ofType('block')).filter((h) => h === b!.hash).length === 2,
    );
    await settle(() => aboutBlock(b!.hash).length > 0, 'the notification');
    s.clock.advance(60_000);
    await handle.tick();
    await s.nc.flush();
    const sent = aboutBlock(b!.hash);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.alerts[0]!.rule_id).toBe('subspace-large-transfer');
  });
});
