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
