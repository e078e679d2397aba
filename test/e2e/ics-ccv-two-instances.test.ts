import { jetstreamManager } from '@nats-io/jetstream';
import { type AlerterHandle, createAlerterService } from '@tocsin/alerter';
import type { Notification } from '@tocsin/events';
import { type RunningService, startService } from '@tocsin/runtime';
import { collect, eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../services/ics-ccv/test/stack.ts';

/**
 * Two ics-ccv instances (one monitor per validator, say) watch the same provider and publish to one bus; the
 * alerter with its shipped rules must notify each fact once. Simulator, both instances and the alerter share one
 * ManualClock.
 */
const scenario = {
  chain_id: 'provider-1',
  block_time_s: 5,
  // consumer-1's relayer never opens the CCV channel: both instances' health checks find it missing.
  ccv_channel_delay_s: null,
  validators: [
    { moniker: 'alice', tokens: '400000000' },
    { moniker: 'bob', tokens: '300000000' },
    { moniker: 'carol', tokens: '200000000' },
    { moniker: 'dave', tokens: '100000000' },
  ],
  timeline: [
    // consumer 0 spawns at t = 130 s; bob (ours, selected) never opts in; alice does, so it launches without bob.
    { at_s: 10, actions: [{ action: 'create_consumer' as const, chain_id: 'consumer-1', spawn_in_s: 120 }] },
    { at_s: 20, actions: [{ action: 'opt_in' as const, consumer_id: '0', validator: 'alice' }] },
    // consumer 1 spawns at t = 90 s with nobody opted in: its launch fails.
    { at_s: 30, actions: [{ action: 'create_consumer' as const, chain_id: 'consumer-2', spawn_in_s: 60 }] },
  ],
};

let env: TestEnv;
let stack: Stack;
let alerter: RunningService;
let handle: AlerterHandle;
let notifications: ReturnType<typeof collect<Notification>>;

beforeAll(async () => {
  env = await testEnv('ics-two');
  stack = await startStack({
    name: 'ics-two',
    env,
    instances: 2,
    scenario,
    section: (sim) => ({
      poll_interval: '24h',
      our_validator: sim.validator('bob').operatorAddress,
      opt_in: { enabled: true, dry_run: true },
      consumers: [{ chain_id: 'consumer-1', rpc: sim.consumerRpcUrl('consumer-1') }],
      ccv_channel_within: '1s',
    }),
  });
  const nc = await env.nats();
  notifications = collect<Notification>(nc, env.subjects.alerts());
  let ready: AlerterHandle | undefined;
  alerter = await startService(createAlerterService({ onReady: (h) => (ready = h) }), {
    argv: [],
    env: env.env,
    clock: stack.clock,
    config: {
      ...env.config,
      alerter: {
        tick_interval: 0,
        defaults: { group_wait: 0, group_interval: 0 },
        rules: [{ id: 'service-silent', enabled: false }],
      },
    },
  });
  handle = ready!;
  for (const [t, tx] of [
    [10, 1],
    [20, 2],
    [30, 3],
    [60, 3],
    [90, 3],
    [95, 3],
    [130, 3],
    [135, 3],
  ] as const)
    await stack.step(t, tx);
  const jsm = await jetstreamManager(nc);
  await eventually(
    async () => {
      const info = await jsm.consumers.info(env.subjects.streams.events, 'alerter');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    30_000,
    'the alerter to apply every event',
  );
  await handle.idle();
  // Alerts about one object wait a moment (priority) before they are notified: let the alerter's timers run.
  for (let i = 0; i < 10; i++) {
    stack.clock.advance(1000);
    await handle.tick();
  }
  await nc.flush();
}, 180_000);
afterAll(async () => {
  notifications?.stop();
  await alerter?.stop();
  await stack?.stop();
  await env?.cleanup();
});

describe('two ics-ccv instances on one bus', () => {
  it('both published every fact, the stream kept each once', async () => {
    const instancesOf = new Map<string, Set<string>>();
    for (const e of stack.events) {
      const k = `${e.source}.${e.type}:${e.dedup_key}`;
      instancesOf.set(k, (instancesOf.get(k) ?? new Set()).add(e.instance));
    }
    const icsKeys = [...instancesOf].filter(([k]) => k.startsWith('ics-ccv.'));
    // Both instances observed and published the ics-ccv facts (each under the same dedup_key)...
    expect(icsKeys.length).toBeGreaterThan(10);
    expect(icsKeys.filter(([, who]) => who.size === 2).length).toBe(icsKeys.length);
    // ...and JetStream stored one message per key (core NATS showed the collector both publications).
    const jsm = await jetstreamManager(await env.nats());
    const info = await jsm.streams.info(env.subjects.streams.events);
    expect(info.state.messages).toBe(instancesOf.size);
    expect(stack.events.length).toBeGreaterThan(instancesOf.size);
  });

  it('notifies each ics-ccv alert once', () => {
    const ics = notifications.items.filter((n) => n.source === 'ics-ccv');
    const lines = ics.flatMap((n) =>
      n.alerts.map((a) => `${a.rule_id} ${a.labels.consumer_id} ${n.transition}`),
    );
    expect(lines.sort()).toEqual(
      [
        'ics-would-opt-in 0 notice',
        'ics-would-opt-in 1 notice',
        'ics-opt-in-due-critical 0 firing',
        // consumer 0 launched: its next duty event (not_in_initial_set) no longer matches, so the opt-in alert ends.
        'ics-opt-in-due-critical 0 resolved',
        'ics-opt-in-due-critical 1 firing',
        'ics-consumer-phase-changed 1 notice',
        'ics-launch-failed 1 notice',
        'ics-consumer-phase-changed 0 notice',
        'ics-not-in-initial-set 0 notice',
        'ics-ccv-channel-missing 0 firing',
      ].sort(),
    );
  });
});
