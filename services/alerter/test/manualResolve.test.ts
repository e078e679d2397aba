import type { RpcError } from '@tocsin/bus';
import type { Alert, Notification } from '@tocsin/events';
import { ConfigError } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { loadRules } from '../src/rules/loadRules.ts';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
let h: Harness;

/** A fact rule (`threshold: "true"`: only resolve_after or a person ends it), and one that resolves itself. */
const rules = [
  {
    id: 'fact-sudo',
    match: { source: 'subspace', type: 'sudo' },
    condition: { threshold: 'true' },
    severity: 'critical',
    labels: { extrinsic: '{{ extrinsic }}' },
    fingerprint: ['chain_id', 'extrinsic'],
    resolve_after: '6h',
    summary: 'sudo in {{ extrinsic }}',
  },
  {
    id: 'fact-transfer',
    match: { source: 'subspace', type: 'transfer' },
    condition: { threshold: "kind == 'force'" },
    manual_resolve: true,
    severity: 'warning',
    labels: { extrinsic: '{{ extrinsic }}' },
    fingerprint: ['chain_id', 'extrinsic'],
    summary: 'force transfer in {{ extrinsic }}',
  },
  {
    id: 'height-low',
    match: { source: 'subspace', type: 'height' },
    condition: { threshold: 'height < 10' },
    severity: 'warning',
    summary: 'height {{ height }}',
  },
];

beforeAll(async () => {
  env = await testEnv('alerter-manual-resolve');
  h = await startAlerter(env, { defaults: { group_wait: 0, group_interval: 0 }, rules });
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});
beforeEach(() => {
  h.notifications.items.length = 0;
});

const on = (chain: string): Promise<Notification[]> => h.receivedOn(chain);
const fired = async (chain: string, type: string, data: Record<string, unknown>) => {
  await h.emit('subspace', type, data, { chain_id: chain });
  await h.settle();
  const n = (await on(chain)).find((x) => x.transition === 'firing');
  expect(n).toBeDefined();
  return n!.alerts[0]!;
};
const episodes = async (fingerprint: string) =>
  (
    await h.running.ctx.pool.query('SELECT episode_id, state FROM alerter_episodes WHERE fingerprint = $1', [
      fingerprint,
    ])
  ).rows;
const refused = (method: string, body: unknown) =>
  h.rpc(method, body).then(
    () => null,
    (e: RpcError) => e,
  );

describe('manual resolve (the chats’ Resolve button)', () => {
  it('an admin resolves a fact alert: resolved, who is in the timeline, notified, a later event opens a new one', async () => {
    const a = await fired('mr-1', 'sudo', { extrinsic: '10-1' });
    // The notification says so, so chats offer a Resolve button on it.
    expect(a.manual_resolve).toBe(true);
    const { alert } = await h.rpc<{ alert: Alert }>('resolve', {
      by: 'telegram:7',
      is_admin: true,
      episode_id: a.episode_id,
      note: 'expected upgrade',
    });
    expect(alert.state).toBe('resolved');
    expect(alert.resolved_at).not.toBeNull();
    const { timeline } = await h.rpc<{ timeline: { kind: string; detail: Record<string, unknown> }[] }>(
      'alert',
      { id: a.episode_id },
    );
    expect(timeline.find((t) => t.kind === 'resolved')?.detail.reason).toBe(
      'resolved by telegram:7: expected upgrade',
    );
    await h.settle();
    expect((await on('mr-1')).map((n) => n.transition)).toEqual(['firing', 'resolved']);
    // Resolve then ack, and resolve twice: refused, still one resolved episode.
    expect(await refused('ack', { by: 'discord:1', episode_id: a.episode_id })).toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/already resolved/),
    });
    expect(
      await refused('resolve', { by: 'telegram:7', is_admin: true, episode_id: a.episode_id }),
    ).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/already resolved/) });
    expect(await episodes(a.fingerprint)).toEqual([{ episode_id: a.episode_id, state: 'resolved' }]);
  });

  it('ack then resolve: resolved and still acknowledged, never re-opened', async () => {
    const a = await fired('mr-2', 'transfer', { extrinsic: '11-2', kind: 'force' });
    await h.rpc('ack', { by: 'slack:U1', episode_id: a.episode_id });
    const { alert } = await h.rpc<{ alert: Alert }>('resolve', {
      by: 'slack:U0ADMIN',
      is_admin: true,
      fingerprint: a.fingerprint,
    });
    expect(alert).toMatchObject({ state: 'resolved', acknowledged: { by: 'slack:U1' } });
    await h.advance(7 * 3_600_000);
    expect(await episodes(a.fingerprint)).toEqual([{ episode_id: a.episode_id, state: 'resolved' }]);
  });

  it('ack and resolve at once, ten times: each alert resolved once, one episode, nothing after resolved', async () => {
    const alerts = await Promise.all(
      Array.from({ length: 10 }, (_, i) => fired(`mr-race-${i}`, 'sudo', { extrinsic: `12-${i}` })),
    );
    const answers = await Promise.all(
      alerts.flatMap((a) => [
        h.rpc('ack', { by: 'discord:5', episode_id: a.episode_id }).then(
          () => 'acked',
          (e: Error) => e.message,
        ),
        h.rpc('resolve', { by: 'discord:6', is_admin: true, episode_id: a.episode_id }).then(
          () => 'resolved',
          (e: Error) => e.message,
        ),
      ]),
    );
    for (let i = 0; i < alerts.length; i++) {
      expect(answers[2 * i]).toMatch(/^acked$|already resolved/);
      expect(answers[2 * i + 1]).toBe('resolved');
    }
    await h.settle();
    await h.advance(7 * 3_600_000);
    for (const [i, a] of alerts.entries()) {
      expect(await episodes(a.fingerprint)).toEqual([{ episode_id: a.episode_id, state: 'resolved' }]);
      const ts = (await on(`mr-race-${i}`)).map((n) => n.transition);
      expect(ts.at(-1)).toBe('resolved');
      expect(ts.filter((t) => t === 'firing')).toHaveLength(1);
    }
  });

  it('refuses an alert that resolves on its own, a non-admin, and an unknown alert, each with a clear reason', async () => {
    const self = await fired('mr-3', 'height', { height: 3 });
    expect(self.manual_resolve).toBeUndefined();
    expect(
      await refused('resolve', { by: 'discord:6', is_admin: true, episode_id: self.episode_id }),
    ).toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/resolves on its own when its condition clears/),
    });
    const fact = await fired('mr-4', 'sudo', { extrinsic: '13-1' });
    expect(await refused('resolve', { by: 'discord:6', episode_id: fact.episode_id })).toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/only an admin/),
    });
    expect(
      await refused('resolve', { by: 'discord:6', is_admin: true, episode_id: '01J0000000000000000000000' }),
    ).toMatchObject({ code: 'not_found' });
    expect(await refused('resolve', { by: 'discord:6', is_admin: true })).toMatchObject({
      code: 'bad_request',
    });
    const still = await h.rpc<{ alerts: Alert[] }>('alerts', { state: 'firing' });
    expect(still.alerts.map((a) => a.episode_id)).toEqual(
      expect.arrayContaining([self.episode_id, fact.episode_id]),
    );
  });
});

describe('rule `manual_resolve`', () => {
  const load = (rules: unknown[]) => loadRules(alerterConfig.parse({ rules }));
  const base = { match: { source: 'cosmos-ibc', type: 'client_status' }, severity: 'warning', summary: 'x' };

  it('defaults to true for threshold "true" only; can be set either way; the shipped sudo rule has it', () => {
    const { rules: compiled } = load([
      { ...base, id: 'fact', condition: { threshold: ' true ' } },
      { ...base, id: 'cond', condition: { threshold: "status == 'Frozen'" } },
      { ...base, id: 'set', condition: { threshold: "status == 'Frozen'" }, manual_resolve: true },
      { ...base, id: 'unset', condition: { threshold: 'true' }, manual_resolve: false },
    ]);
    const of = (id: string) => compiled.find((r) => r.id === id)!.manualResolve;
    expect([of('fact'), of('cond'), of('set'), of('unset')]).toEqual([true, false, true, false]);
    expect(of('subspace-sudo')).toBe(true);
    expect(of('ibc-client-frozen')).toBe(false);
  });

  it('refuses manual_resolve on a notice rule, naming the rule and the field', () => {
    let issues = '';
    try {
      load([{ ...base, id: 'news', mode: 'notice', manual_resolve: true }]);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      issues = (err as ConfigError).issues.join('\n');
    }
    expect(issues).toMatch(/news.*manual_resolve: a notice is over once sent/);
  });
});
