import { cosmosIbc, type Notification, newId } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { phaseRule, publishClient } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
let h: Harness;

const slotRule = {
  id: 'slot-time',
  match: { source: 'subspace', type: 'slot_time' },
  condition: {
    state_change: {
      value: 'seconds_per_slot',
      bands: [
        { name: 'slow', when: 'seconds_per_slot > 1.10' },
        { name: 'fast', when: 'seconds_per_slot < 0.94' },
      ],
      ok: 'normal',
    },
  },
  value: 'seconds_per_slot',
  severity: 'warning',
  labels: { node: '{{ node }}' },
  fingerprint: ['chain_id'],
  summary: 'slot time {{ alert.band }} ({{ seconds_per_slot }} s/slot, was {{ alert.previous }})',
};
const blockRule = {
  id: 'block-stall',
  match: { source: 'subspace', type: 'block' },
  condition: { absence: { after: '65s' } },
  severity: 'critical',
  labels: { node: '{{ node }}' },
  fingerprint: ['chain_id', 'node'],
  summary: 'no block from {{ node }} for 65 s (last {{ height }})',
};
const slowRule = {
  id: 'slow-start',
  match: { source: 'ics', type: 'lag' },
  condition: { threshold: 'lag > 10' },
  for: '5m',
  severity: 'warning',
  labels: { node: '{{ node }}' },
  summary: 'lag {{ lag }}',
};

beforeAll(async () => {
  env = await testEnv('alerter-conditions');
  h = await startAlerter(
    env,
    {
      defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 },
      rules: [slotRule, phaseRule, blockRule, slowRule],
    },
    { watchServices: true },
  );
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});
beforeEach(() => {
  h.notifications.items.length = 0;
});

const about = (ns: Notification[], rule: string) =>
  ns
    .filter((n) => n.alerts.some((a) => a.rule_id === rule))
    .map((n) => `${n.transition}:${n.alerts[0]!.labels.band ?? ''}`);

describe('threshold', () => {
  it("holds the original bot's example: 41,441 s of 51,800 → alert, 41,439 s → none", async () => {
    await publishClient(h, 'bot-1', 'client-a', { elapsed: 41_441 });
    await publishClient(h, 'bot-1', 'client-b', { elapsed: 41_439 });
    await h.settle();
    const ns = await h.received();
    expect(ns).toHaveLength(1);
    const [a] = ns[0]!.alerts;
    expect(a!.labels.client_id).toBe('client-a');
    // 2 h 52 min left is also under 12 h: the critical rule wins over the warning (priority on the same client).
    expect(a!.rule_id).toBe('ibc-client-expiry-imminent');
    expect(a!.summary).toBe('IBC client client-a on bot-1 expires in 2h 52m');
    const { rows } = await h.running.ctx.pool.query(
      `SELECT rule_id, suppressed_by IS NOT NULL AS suppressed FROM alerter_episodes WHERE chain_id = 'bot-1' ORDER BY rule_id`,
    );
    expect(rows).toEqual([
      { rule_id: 'ibc-client-expiring', suppressed: true },
      { rule_id: 'ibc-client-expiry-imminent', suppressed: false },
    ]);
  });

  it('warns at 80 % when more than 12 h are left, resolves when a relayer updates the client', async () => {
    await publishClient(h, 'long-1', 'client-a', { trusting: 1_814_400, elapsed: 1_500_000 });
    await h.settle();
    let ns = await h.received();
    expect(ns.map((n) => `${n.transition}:${n.alerts[0]!.rule_id}`)).toEqual(['firing:ibc-client-expiring']);
    expect(ns[0]!.alerts[0]!.summary).toBe(
      'IBC client client-a on long-1 is 82.7% through its trusting period',
    );
    h.clock.advance(60_000);
    await publishClient(h, 'long-1', 'client-a', { trusting: 1_814_400, elapsed: 60, height: 200 });
    await h.settle();
    ns = await h.received();
    expect(ns.map((n) => n.transition)).toEqual(['firing', 'resolved']);
    expect(ns[1]!.alerts[0]!.episode_id).toBe(ns[0]!.alerts[0]!.episode_id);
    expect(ns[1]!.alerts[0]!.state).toBe('resolved');
  });

  it('with `for`, stays pending until the duration has passed, and never fires if it clears first', async () => {
    const lag = (node: string, v: number) => h.emit('ics', 'lag', { node, lag: v }, { chain_id: 'for-1' });
    await lag('n1', 50);
    await lag('n2', 50);
    await h.settle();
    expect(await h.received()).toHaveLength(0);
    await h.advance(120_000);
    await lag('n2', 1);
    await h.settle();
    await h.advance(180_001);
    const ns = (await h.received()).filter((n) => n.alerts[0]!.rule_id === 'slow-start');
    expect(ns.map((n) => `${n.transition}:${n.alerts[0]!.labels.node}`)).toEqual(['firing:n1']);
    const states = await h.running.ctx.pool.query(
      `SELECT labels->>'node' AS node, state FROM alerter_episodes WHERE rule_id = 'slow-start' ORDER BY node`,
    );
    expect(states.rows).toEqual([
      { node: 'n1', state: 'firing' },
      { node: 'n2', state: 'resolved' },
    ]);
  });
});

describe('state change', () => {
  it('alerts only when the band changes: slow, slow, fast, normal', async () => {
    const slot = async (v: number) => {
      h.clock.advance(1000);
      await h.emit('subspace', 'slot_time', { node: 'n1', seconds_per_slot: v }, { chain_id: 'slots-1' });
    };
    // Settled one by one: a band entered and left within one batch is never notified (nothing to say).
    for (const v of [1.0, 1.02, 1.2, 1.25, 1.3, 0.9, 0.91, 1.0, 1.01]) {
      await slot(v);
      await h.settle();
    }
    const ns = await h.received();
    expect(about(ns, 'slot-time')).toEqual(['firing:slow', 'resolved:slow', 'firing:fast', 'resolved:fast']);
    expect(ns.find((n) => n.alerts[0]!.labels.band === 'fast')!.alerts[0]!.summary).toBe(
      'slot time fast (0.9 s/slot, was slow)',
    );
  });

  it('without bands, every change of the value is one notice (not the first observation)', async () => {
    const phase = async (p: string) => {
      h.clock.advance(1000);
      await h.emit('ics', 'consumer', { consumer_id: '7', phase: p }, { chain_id: 'provider-1' });
    };
    for (const p of ['REGISTERED', 'REGISTERED', 'INITIALIZED', 'INITIALIZED', 'LAUNCHED']) await phase(p);
    await h.settle();
    const ns = (await h.received()).filter((n) => n.alerts[0]!.rule_id === 'consumer-phase');
    expect(ns.map((n) => `${n.transition}:${n.alerts[0]!.summary}`)).toEqual([
      'notice:consumer 7: REGISTERED → INITIALIZED',
      'notice:consumer 7: INITIALIZED → LAUNCHED',
    ]);
  });
});

describe('absence', () => {
  const beat = (service: string, instance: string, stopping = false) => {
    const now = h.clock.now();
    h.nc.publish(
      env.subjects.health(service),
      JSON.stringify({
        id: newId(now),
        source: 'system',
        type: 'heartbeat',
        version: 1,
        chain_id: '-',
        instance,
        observed_at: new Date(now).toISOString(),
        dedup_key: `${service}:${instance}:${now}`,
        data: { service, ready: true, uptime_s: 5, heights: { 'cosmoshub-4': 1234 }, stopping },
      }),
    );
  };
  const silentAbout = (ns: Notification[], service: string) =>
    ns
      .filter((n) => n.alerts[0]!.rule_id === 'service-silent' && n.alerts[0]!.labels.service === service)
      .map((n) => n.transition);

  it('a service silent for 2 minutes is critical; it resolves when the service beats again', async () => {
    beat('cosmos-ibc', 'node-a');
    beat('cosmos-ibc', 'node-b');
    await h.syncCore();
    await h.advance(60_000);
    beat('cosmos-ibc', 'node-b');
    await h.syncCore();
    await h.advance(61_000);
    let ns = await h.received();
    expect(silentAbout(ns, 'cosmos-ibc')).toEqual(['firing']);
    const alert = ns.find((n) => n.alerts[0]!.labels.service === 'cosmos-ibc')!.alerts[0]!;
    expect(alert.labels.instance).toBe('node-a');
    expect(alert.severity).toBe('critical');
    expect(alert.summary).toBe('cosmos-ibc (node-a) has sent no heartbeat for 2 minutes');
    beat('cosmos-ibc', 'node-a');
    await h.syncCore();
    ns = await h.received();
    expect(silentAbout(ns, 'cosmos-ibc')).toEqual(['firing', 'resolved']);
    // The heights heartbeats carry are what the dead-man switch reports.
    expect(h.handle.alerter.heights.get('cosmoshub-4')).toBe(1234);
  });

  it('an instance that said goodbye (stopping) is not reported silent, until it comes back and goes quiet', async () => {
    beat('notifier-slack', 'pod-1');
    beat('notifier-slack', 'pod-2');
    await h.syncCore();
    await h.advance(30_000);
    // pod-1 is scaled down cleanly; pod-2 dies.
    beat('notifier-slack', 'pod-1', true);
    await h.syncCore();
    await h.advance(150_000);
    // (Alerts of one rule may be grouped into one notification: each alert of each notification counts.)
    const slack = (ns: Notification[]) =>
      ns.flatMap((n) =>
        n.alerts
          .filter((a) => a.rule_id === 'service-silent' && a.labels.service === 'notifier-slack')
          .map((a) => `${n.transition}:${a.labels.instance}`),
      );
    expect(slack(await h.received())).toEqual(['firing:pod-2']);
    // pod-1 comes back under the same name and then goes silent without a goodbye: watched again.
    beat('notifier-slack', 'pod-1');
    await h.syncCore();
    await h.advance(121_000);
    expect(slack(await h.received())).toEqual(['firing:pod-2', 'firing:pod-1']);
  });

  it('an instance restarted under the same name right after its goodbye is watched again at once', async () => {
    beat('notifier-discord', 'pod-r');
    await h.syncCore();
    await h.advance(1_000);
    beat('notifier-discord', 'pod-r', true);
    await h.syncCore();
    await h.advance(1_000);
    // Back within a second (a restart), then it dies without a goodbye.
    beat('notifier-discord', 'pod-r');
    await h.syncCore();
    await h.advance(121_000);
    const fired = (await h.received()).flatMap((n) =>
      n.alerts
        .filter((a) => a.rule_id === 'service-silent' && a.labels.service === 'notifier-discord')
        .map((a) => `${n.transition}:${a.labels.instance}`),
    );
    expect(fired).toEqual(['firing:pod-r']);
  });

  it('a node that stops producing blocks stalls after 65 s and resumes with its next block', async () => {
    const block = (node: string, height: number) =>
      h.emit('subspace', 'block', { node, height }, { chain_id: 'stall-1', instance: node });
    await block('n1', 1);
    await h.settle();
    await h.advance(64_000);
    expect(about(await h.received(), 'block-stall')).toEqual([]);
    await h.advance(1_000);
    expect(about(await h.received(), 'block-stall')).toEqual(['firing:']);
    await h.advance(30_000);
    await block('n1', 2);
    await h.settle();
    expect(about(await h.received(), 'block-stall')).toEqual(['firing:', 'resolved:']);
  });
});

describe('startup notices', () => {
  it("carry the instance's display name and icon as sender labels, for chat", async () => {
    await h.emit(
      'system',
      'service_started',
      {
        service: 'cosmos-ibc',
        version: '0.1.0',
        watches: [],
        name: 'hub relayers',
        icon_url: 'https://example.org/hub.png',
      },
      { instance: 'node-a' },
    );
    await h.emit(
      'system',
      'service_started',
      { service: 'notifier-slack', version: '0.1.0' },
      { instance: 'n' },
    );
    await h.settle();
    const notices = (await h.received()).flatMap((n) =>
      n.alerts.filter((a) => a.rule_id === 'service-started').map((a) => [n.transition, a.summary, a.labels]),
    );
    expect(notices).toEqual([
      [
        'notice',
        'hub relayers 0.1.0 started (node-a)',
        expect.objectContaining({
          sender_name: 'hub relayers',
          sender_icon_url: 'https://example.org/hub.png',
        }),
      ],
      [
        'notice',
        'notifier-slack 0.1.0 started (n)',
        expect.objectContaining({ sender_name: '', sender_icon_url: '' }),
      ],
    ]);
  });
});

describe('count within a window', () => {
  const error = (endpoint: string, key: string) =>
    h.publisher.publish(cosmosIbc.endpointError, {
      chain_id: 'count-1',
      dedup_key: key,
      data: { endpoint, query: 'status', reason: 'timeout after 10000 ms', kind: 'timeout' },
      observed_at: new Date(h.clock.now()),
    });
  const ofRule = (ns: Notification[]) =>
    ns.filter((n) => n.alerts[0]!.rule_id === 'cosmos-ibc-endpoint-errors').map((n) => n.transition);

  it('fires at 3 errors in 35 minutes, counts a fact once, resolves as the window slides', async () => {
    await error('https://rpc-a', 'e1');
    h.clock.advance(60_000);
    await error('https://rpc-a', 'e2');
    // The same fact again (another instance, after the stream's duplicate window): still 2.
    await h.publisher.js.publish(
      env.subjects.event('cosmos-ibc', 'endpoint_error'),
      JSON.stringify({
        id: newId(h.clock.now()),
        source: 'cosmos-ibc',
        type: 'endpoint_error',
        version: 1,
        chain_id: 'count-1',
        instance: 'b',
        observed_at: new Date(h.clock.now()).toISOString(),
        dedup_key: 'e2',
        data: { endpoint: 'https://rpc-a', query: 'status', reason: 'timeout', kind: 'timeout' },
      }),
    );
    await h.settle();
    expect(ofRule(await h.received())).toEqual([]);
    h.clock.advance(60_000);
    await error('https://rpc-a', 'e3');
    await h.settle();
    let ns = await h.received();
    expect(ofRule(ns)).toEqual(['firing']);
    expect(ns.find((n) => n.alerts[0]!.rule_id === 'cosmos-ibc-endpoint-errors')!.alerts[0]!.value).toBe(3);
    await h.advance(33 * 60_000);
    expect(ofRule(await h.received())).toEqual(['firing']);
    await h.advance(2 * 60_000);
    ns = await h.received();
    expect(ofRule(ns)).toEqual(['firing', 'resolved']);
  });
  it('fires critical at once for an endpoint that serves another chain', async () => {
    await h.publisher.publish(cosmosIbc.endpointError, {
      chain_id: 'count-2',
      dedup_key: 'w1',
      data: {
        endpoint: 'https://rpc-b',
        query: 'status',
        reason: 'the node serves chain "other-1", not "count-2"; its data is not used',
        kind: 'wrong_chain',
        network: 'other-1',
      },
      observed_at: new Date(h.clock.now()),
    });
    await h.settle();
    const ns = (await h.received()).filter((n) => n.alerts[0]!.labels.chain_id === 'count-2');
    expect(ns.map((n) => [n.alerts[0]!.rule_id, n.transition, n.alerts[0]!.severity])).toEqual([
      ['cosmos-ibc-wrong-chain', 'firing', 'critical'],
    ]);
    expect(ns[0]!.alerts[0]!.summary).toBe(
      'Endpoint https://rpc-b configured for count-2 serves another chain',
    );
  });
});
