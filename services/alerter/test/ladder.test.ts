import { RpcError } from '@tocsin/bus';
import type { Alert, Notification } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { loadRules } from '../src/rules/loadRules.ts';
import { publishClient } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
let h: Harness;
/** A second replica on the same schema, stream and clock. */
let h2: Harness;
const MIN = 60_000;

const POLICIES = [
  {
    name: 'ladder-chains',
    severity: 'critical',
    matchers: [{ name: 'chain_id', op: '=~', value: 'lad-.*' }],
    steps: [
      { wait: '5m' },
      { notify: 'role:oncall' },
      { wait: '10m' },
      { notify: ['discord:77'], notify_by: 'telegram' },
      { repeat: 1 },
    ],
  },
];

beforeAll(async () => {
  env = await testEnv('alerter-ladder');
  const cfg = {
    defaults: {
      group_wait: 0,
      group_interval: 0,
      priority_wait: 0,
      escalation: { mentions: ['role:legacy'] },
    },
    escalation_policies: POLICIES,
  };
  h = await startAlerter(env, cfg);
  h2 = await startAlerter(env, cfg, { clock: h.clock });
});
afterAll(async () => {
  await h2?.stop();
  await h?.stop();
  await env.cleanup();
});
beforeEach(() => {
  h.notifications.items.length = 0;
});

const on = (chain: string): Promise<Notification[]> => h.receivedOn(chain);
const of = async (chain: string) => (await on(chain)).map((n) => n.transition);
/** 13 h trusting period, 1.5 h left: critical. */
const critical = (chain: string) => publishClient(h, chain, 'c-0', { trusting: 46_800, elapsed: 41_400 });
const recovered = (chain: string) =>
  publishClient(h, chain, 'c-0', { trusting: 46_800, elapsed: 10, height: 900 });
const timeline = async (episode: string) => {
  const r = await h.running.ctx.pool.query(
    'SELECT kind, detail FROM alerter_timeline WHERE episode_id = $1 ORDER BY id',
    [episode],
  );
  return r.rows as { kind: string; detail: Record<string, unknown> }[];
};
/** Every episode of the alert first notified on this chain (its fingerprint). */
const episodes = async (chain: string) => {
  const fp = (await on(chain))[0]!.alerts[0]!.fingerprint;
  const r = await h.running.ctx.pool.query(
    'SELECT episode_id, state FROM alerter_episodes WHERE fingerprint = $1',
    [fp],
  );
  return r.rows as { episode_id: string; state: string }[];
};

describe('escalation ladder', () => {
  it('notifies step by step (wait, notify, wait, notify_by telegram), repeats once, then stops', async () => {
    await critical('lad-1');
    await h.settle();
    await h.advance(4 * MIN);
    expect(await of('lad-1')).toEqual(['firing']);
    await h.advance(MIN);
    let ns = await on('lad-1');
    expect(ns.map((n) => n.transition)).toEqual(['firing', 'escalated']);
    expect(ns[1]!.mentions).toContain('role:oncall');
    expect(ns[1]!.notifiers).toBeUndefined();
    await h.advance(9 * MIN);
    expect(await of('lad-1')).toHaveLength(2);
    await h.advance(MIN);
    ns = await on('lad-1');
    expect(ns[2]!.transition).toBe('escalated');
    expect(ns[2]!.notifiers).toEqual(['telegram']);
    expect(ns[2]!.mentions).toContain('discord:77');
    expect(ns[2]!.mentions).not.toContain('role:oncall');
    // The second climb: 5 and 15 minutes later again; then nothing (repeat_interval 1 h aside).
    await h.advance(5 * MIN);
    await h.advance(10 * MIN);
    await h.advance(20 * MIN);
    ns = await on('lad-1');
    expect(ns.map((n) => n.transition)).toEqual([
      'firing',
      'escalated',
      'escalated',
      'escalated',
      'escalated',
    ]);
    expect(new Set(ns.map((n) => n.key)).size).toBe(5);
    const ep = ns[0]!.alerts[0]!.episode_id;
    const steps = (await timeline(ep)).filter((t) => t.kind.startsWith('escalation_'));
    expect(steps.map((t) => [t.kind, t.detail.step ?? t.detail.round])).toEqual([
      ['escalation_step', 0],
      ['escalation_step', 1],
      ['escalation_step', 2],
      ['escalation_step', 3],
      ['escalation_repeat', 1],
      ['escalation_step', 0],
      ['escalation_step', 1],
      ['escalation_step', 2],
      ['escalation_step', 3],
      ['escalation_done', 1],
    ]);
    expect(steps[3]!.detail).toMatchObject({
      policy: 'ladder-chains',
      notify: ['discord:77'],
      notifiers: ['telegram'],
    });
    await recovered('lad-1');
    await h.settle();
  });

  it('stops at an acknowledgement: no further step nor repeat until it resolves', async () => {
    await critical('lad-2');
    await h.settle();
    await h.advance(5 * MIN);
    expect(await of('lad-2')).toEqual(['firing', 'escalated']);
    const ep = (await on('lad-2'))[0]!.alerts[0]!.episode_id;
    await h.rpc('ack', { by: 'discord:42', episode_id: ep, note: 'on it' });
    await h.advance(3 * 60 * MIN);
    expect(await of('lad-2')).toEqual(['firing', 'escalated', 'acknowledged']);
    const kinds = (await timeline(ep)).map((t) => t.kind);
    expect(kinds).toContain('escalation_stopped');
    expect(kinds.filter((k) => k === 'escalation_step')).toHaveLength(3);
    await recovered('lad-2');
    await h.settle();
    expect(await of('lad-2')).toEqual(['firing', 'escalated', 'acknowledged', 'resolved']);
  });

  it('an acknowledgement for a time: silent until then, then reminded and the ladder climbs again', async () => {
    await critical('lad-3');
    await h.settle();
    const ep = (await on('lad-3'))[0]!.alerts[0]!.episode_id;
    const { alert } = await h.rpc<{ alert: Alert }>('ack', {
      by: 'discord:42',
      episode_id: ep,
      duration_s: 1800,
    });
    expect(alert.acknowledged?.until).toBe(new Date(h.clock.now() + 1800_000).toISOString());
    await h.advance(29 * MIN);
    expect(await of('lad-3')).toEqual(['firing', 'acknowledged']);
    await h.advance(MIN);
    expect(await of('lad-3')).toEqual(['firing', 'acknowledged', 'repeat']);
    expect((await on('lad-3'))[2]!.alerts[0]!.acknowledged).toBeNull();
    await h.advance(5 * MIN);
    expect(await of('lad-3')).toEqual(['firing', 'acknowledged', 'repeat', 'escalated']);
    // Acknowledged again: its own notification (not dropped as a duplicate of the first).
    await h.rpc('ack', { by: 'discord:43', episode_id: ep });
    const ns = await on('lad-3');
    expect(ns.map((n) => n.transition)).toEqual([
      'firing',
      'acknowledged',
      'repeat',
      'escalated',
      'acknowledged',
    ]);
    expect(ns[4]!.alerts[0]!.acknowledged).toMatchObject({ by: 'discord:43', until: null });
    expect((await timeline(ep)).map((t) => t.kind)).toContain('ack_expired');
    // A time already past is refused, with the field.
    await expect(
      h.rpc('ack', { by: 'discord:1', episode_id: ep, until: new Date(h.clock.now() - 1).toISOString() }),
    ).rejects.toMatchObject({ code: 'bad_request', issues: ['until: in the past'] });
    await recovered('lad-3');
    await h.settle();
  });

  it('an alert no policy matches keeps the old one-step escalation (defaults.escalation)', async () => {
    await critical('old-1');
    await h.settle();
    await h.advance(30 * MIN);
    const ns = await on('old-1');
    expect(ns.map((n) => n.transition)).toEqual(['firing', 'escalated']);
    expect(ns[1]!.mentions).toContain('role:legacy');
    await recovered('old-1');
    await h.settle();
  });
});

describe('acknowledgement and resolution never re-open', () => {
  it('ack then resolve: resolved, acknowledged; a later ack is a no-op', async () => {
    await critical('race-1');
    await h.settle();
    const ep = (await on('race-1'))[0]!.alerts[0]!.episode_id;
    await h.rpc('ack', { by: 'discord:42', episode_id: ep });
    await recovered('race-1');
    await h.settle();
    const again = await h.rpc<{ alert: Alert }>('ack', { by: 'discord:9', episode_id: ep });
    expect(again.alert.state).toBe('resolved');
    expect(again.alert.acknowledged?.by).toBe('discord:42');
    await h.advance(3 * 60 * MIN);
    expect(await of('race-1')).toEqual(['firing', 'acknowledged', 'resolved']);
    expect(await episodes('race-1')).toEqual([{ episode_id: ep, state: 'resolved' }]);
  });

  it('resolve then ack: a clear error, still resolved, no new episode', async () => {
    await critical('race-2');
    await h.settle();
    const fp = (await on('race-2'))[0]!.alerts[0]!.fingerprint;
    await recovered('race-2');
    await h.settle();
    const err = await h.rpc('ack', { by: 'discord:42', fingerprint: fp }).catch((e: RpcError) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/already resolved/) });
    await h.advance(3 * 60 * MIN);
    expect(await of('race-2')).toEqual(['firing', 'resolved']);
    expect((await episodes('race-2')).map((e) => e.state)).toEqual(['resolved']);
  });

  it('ack and resolve at once on two replicas, ten times: always resolved, one episode, nothing after resolved', async () => {
    const chains = Array.from({ length: 10 }, (_, i) => `race-c${i}`);
    for (const c of chains) await critical(c);
    await h.settle();
    const eps = new Map<string, string>();
    for (const c of chains) eps.set(c, (await on(c))[0]!.alerts[0]!.episode_id);
    const answers = await Promise.all(
      chains.map(async (c, i) => {
        const replica = i % 2 ? h2 : h;
        const ack = replica.handle.alerter
          .ack({ by: 'discord:42', episode_id: eps.get(c)! })
          .then(() => 'acked')
          .catch((e: Error) => e.message);
        await recovered(c);
        return ack;
      }),
    );
    // Each ack either came first (acknowledged) or saw the resolution (a clear error): never anything else.
    for (const a of answers) expect(a).toMatch(/^acked$|already resolved/);
    await h.settle();
    await h.advance(3 * 60 * MIN);
    for (const c of chains) {
      expect(await episodes(c)).toEqual([{ episode_id: eps.get(c), state: 'resolved' }]);
      const ts = await of(c);
      expect(ts.at(-1)).toBe('resolved');
      expect(ts.filter((t) => t === 'firing')).toHaveLength(1);
    }
  });
});

describe('escalation_policies config', () => {
  it('refuses unknown keys, mixed steps, repeat not last and bad matchers, naming each field', () => {
    const r = alerterConfig.safeParse({
      escalation_policies: [
        {
          name: 'p',
          matchers: [{ name: 'chain_id', op: '=~', value: '(' }],
          steps: [{ wait: '5m', notify: 'role:x' }, { repeat: 2 }, { notify: 'role:y', escalate: true }],
          colour: 'red',
        },
        { name: 'q', steps: [{ wait: '1m' }, { notify_by: 'telegarm' }] },
        { name: 'q', steps: [{ wait: '1m' }] },
      ],
    });
    expect(r.success).toBe(false);
    const lines = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^escalation_policies\.0: Unrecognized key: "colour"/),
        expect.stringMatching(/^escalation_policies\.0\.steps\.0: a step is one of .* got wait \+ notify/),
        expect.stringMatching(/^escalation_policies\.0\.steps\.2: Unrecognized key: "escalate"/),
        'escalation_policies.1.steps.1.notify_by.0: unknown notifier "telegarm": one of discord, slack, telegram, webhook, console',
        expect.stringMatching(/^escalation_policies\.2\.steps: a ladder needs at least one notify/),
      ]),
    );
    const twice = alerterConfig.safeParse({
      escalation_policies: [
        { name: 'q', steps: [{ notify: 'role:a' }] },
        { name: 'q', steps: [{ notify: ['role:a', 'role:b'] }] },
      ],
    });
    expect(twice.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'escalation_policies.1.name: duplicate policy q',
    ]);
    const order = alerterConfig.safeParse({
      escalation_policies: [
        {
          name: 'p',
          matchers: [{ name: 'x', op: '=~', value: '(' }],
          steps: [{ repeat: 1 }, { notify: 'role:x' }],
        },
      ],
    });
    const orderLines = order.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(orderLines).toEqual(
      expect.arrayContaining([
        'escalation_policies.0.steps.0.repeat: repeat must be the last step',
        expect.stringMatching(/^escalation_policies\.0\.matchers\.0\.value: bad regular expression/),
      ]),
    );
  });

  it('a policy applies to the rules of its severities; a rule’s own escalate (or escalate: false) wins', () => {
    const cfg = alerterConfig.parse({
      escalation_policies: POLICIES,
      rules: [{ id: 'ibc-client-frozen', escalate: false }],
    });
    const rules = new Map(loadRules(cfg).rules.map((r) => [r.id, r]));
    expect(rules.get('ibc-client-expiry-imminent')!.escalationPolicies.map((p) => p.ladder.policy)).toEqual([
      'ladder-chains',
    ]);
    // A warning rule: the policy is for critical alerts only.
    expect(rules.get('ibc-client-expiring')!.escalationPolicies).toEqual([]);
    expect(rules.get('ibc-client-frozen')!.escalationPolicies).toEqual([]);
    expect(rules.get('ibc-client-frozen')!.escalation).toBeNull();
  });
});
