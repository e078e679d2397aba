import { RpcError } from '@tocsin/bus';
import { cosmosIbc } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientStatus } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
let h: Harness;

beforeAll(async () => {
  env = await testEnv('alerter-alert-subscriptions');
  h = await startAlerter(env, { defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 } });
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});

type Sub = { subscription: { id: string; scope: string; value: string; cadence: string }; created: boolean };

it('a bare word is a source when a rule watches it, else a chain; again changes the cadence', async () => {
  const source = await h.rpc<Sub>('alert_subscribe', {
    owner: 'discord:1',
    value: 'cosmos-ibc',
    cadence: 'daily',
  });
  expect(source).toMatchObject({ created: true, subscription: { scope: 'source', value: 'cosmos-ibc' } });
  const chain = await h.rpc<Sub>('alert_subscribe', {
    owner: 'discord:1',
    value: 'cosmoshub-4',
    cadence: 'hourly',
  });
  expect(chain.subscription.scope).toBe('chain');
  const again = await h.rpc<Sub>('alert_subscribe', {
    owner: 'discord:1',
    value: 'cosmoshub-4',
    cadence: 'immediate',
  });
  expect(again).toMatchObject({
    created: false,
    subscription: { id: chain.subscription.id, cadence: 'immediate' },
  });
  await expect(
    h.rpc('alert_subscribe', { owner: 'discord:1', value: 'nope', scope: 'source', cadence: 'daily' }),
  ).rejects.toSatisfy(
    (e) => e instanceof RpcError && e.code === 'bad_request' && /known: .*cosmos-ibc/.test(e.message),
  );
  const { subscriptions } = await h.rpc<{ subscriptions: Sub['subscription'][] }>('alert_subscriptions', {
    owner: 'discord:1',
  });
  expect(subscriptions.map((s) => `${s.scope}:${s.value}:${s.cadence}`)).toEqual([
    'source:cosmos-ibc:daily',
    'chain:cosmoshub-4:immediate',
  ]);
});

it('immediate: the subscriber is tagged on a new alert of the chain; only the owner (or an admin) unsubscribes', async () => {
  await h.publisher.publish(cosmosIbc.clientStatus, {
    chain_id: 'cosmoshub-4',
    dedup_key: 'expiring-1',
    data: clientStatus('07-tendermint-0', { trusting: 46_800, elapsed: 41_400 }),
    observed_at: new Date(h.clock.now()),
  });
  await h.settle();
  await h.advance(1000);
  const firing = (await h.received()).filter((n) => n.transition === 'firing');
  expect(firing.length).toBeGreaterThan(0);
  for (const n of firing) expect(n.mentions).toContain('discord:1');

  await expect(
    h.rpc('alert_unsubscribe', { by: 'discord:2', owner: 'discord:1', value: 'cosmoshub-4' }),
  ).rejects.toSatisfy((e) => e instanceof RpcError && e.code === 'forbidden');
  await expect(h.rpc('alert_unsubscribe', { by: 'discord:2', value: 'cosmoshub-4' })).rejects.toSatisfy(
    (e) => e instanceof RpcError && e.code === 'not_found',
  );
  expect(
    await h.rpc('alert_unsubscribe', {
      by: 'discord:2',
      is_admin: true,
      owner: 'discord:1',
      value: 'cosmoshub-4',
    }),
  ).toEqual({ removed: 1 });
  expect(await h.rpc('alert_unsubscribe', { by: 'discord:1', value: 'cosmos-ibc' })).toEqual({ removed: 1 });
});

it('daily at a local time: one daily time per owner (given: moves the others; absent: joins it); bad parts named', async () => {
  const rows = async () =>
    (
      await h.rpc<{ subscriptions: (Sub['subscription'] & { at?: string; timezone?: string })[] }>(
        'alert_subscriptions',
        { owner: 'slack:U9' },
      )
    ).subscriptions.map((s) => `${s.value}:${s.cadence}:${s.at ?? '-'}:${s.timezone ?? '-'}`);
  // A daily subscription without a time: 00:00 UTC, as before times of day.
  await h.rpc('alert_subscribe', { owner: 'slack:U9', value: 'osmosis-1', cadence: 'daily' });
  await h.rpc('alert_subscribe', { owner: 'slack:U9', value: 'juno-1', cadence: 'hourly' });
  expect(await rows()).toEqual(['osmosis-1:daily:00:00:UTC', 'juno-1:hourly:-:-']);
  const moved = await h.rpc<Sub>('alert_subscribe', {
    owner: 'slack:U9',
    value: 'cosmoshub-4',
    cadence: 'daily',
    at: '09:00',
    timezone: 'Europe/Zurich',
  });
  expect(moved.subscription).toMatchObject({ at: '09:00', timezone: 'Europe/Zurich' });
  await h.rpc('alert_subscribe', { owner: 'slack:U9', value: 'stargaze-1', cadence: 'daily' });
  expect((await rows()).sort()).toEqual([
    'cosmoshub-4:daily:09:00:Europe/Zurich',
    'juno-1:hourly:-:-',
    'osmosis-1:daily:09:00:Europe/Zurich',
    'stargaze-1:daily:09:00:Europe/Zurich',
  ]);
  const bad = (req: Record<string, string>, re: RegExp) =>
    expect(h.rpc('alert_subscribe', { owner: 'slack:U9', value: 'osmosis-1', ...req })).rejects.toSatisfy(
      (e) => e instanceof RpcError && e.code === 'bad_request' && re.test(e.message),
    );
  const utc = await h.rpc<Sub>('alert_subscribe', {
    owner: 'slack:U8',
    value: 'osmosis-1',
    cadence: 'daily',
    at: '07:30',
    timezone: 'utc',
  });
  expect(utc.subscription).toMatchObject({ at: '07:30', timezone: 'UTC' });
  await bad({ cadence: 'daily', at: '09:00', timezone: 'Mars/Olympus' }, /unknown time zone "Mars\/Olympus"/);
  await bad({ cadence: 'hourly', at: '09:00' }, /daily digests only/);
  await bad({ cadence: 'daily', timezone: 'Europe/Zurich' }, /needs a time of day/);
  await expect(
    h.rpc('alert_subscribe', { owner: 'slack:U9', value: 'osmosis-1', cadence: 'daily', at: '24:00' }),
  ).rejects.toSatisfy((e) => e instanceof RpcError && e.code === 'bad_request' && /at/.test(e.message));
});
