import { RpcError } from '@tocsin/bus';
import { cosmosIbc, type Notification } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { walletBalance } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
let h: Harness;

beforeAll(async () => {
  env = await testEnv('alerter-subscriptions');
  h = await startAlerter(env, { defaults: { group_wait: 0, group_interval: 0 } });
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});
beforeEach(() => {
  h.notifications.items.length = 0;
});

let seq = 0;
const balance = async (address: string, amount: number, o: Parameters<typeof walletBalance>[2] = {}) => {
  h.clock.advance(1000);
  await h.publisher.publish(cosmosIbc.walletBalance, {
    chain_id: 'cosmoshub-4',
    dedup_key: `${address}:${++seq}`,
    data: walletBalance(address, amount, o),
    observed_at: new Date(h.clock.now()),
  });
  await h.settle();
};
const view = (ns: Notification[]) =>
  ns.map(
    (n) =>
      `${n.transition}:${n.alerts[0]!.rule_id}:${n.alerts[0]!.labels.subscriber ?? '-'}:${n.mentions.join(',')}`,
  );

it('a wallet below a subscriber threshold tags that subscriber; deregister is the owner’s (or an admin’s)', async () => {
  const first = await h.rpc<{ created: boolean; subscription: { id: string } }>('subscribe', {
    owner: 'discord:111',
    target: 'cosmos1relayer',
    chain_id: 'cosmoshub-4',
    threshold: 2,
  });
  expect(first.created).toBe(true);
  const again = await h.rpc<{ created: boolean; subscription: { id: string; threshold: number } }>(
    'subscribe',
    {
      owner: 'discord:111',
      target: 'cosmos1relayer',
      chain_id: 'cosmoshub-4',
      threshold: 3,
    },
  );
  expect(again).toMatchObject({ created: false, subscription: { id: first.subscription.id, threshold: 3 } });
  await h.rpc('subscribe', {
    owner: 'discord:222',
    target: 'cosmos1relayer',
    chain_id: 'cosmoshub-4',
    threshold: 1,
  });

  await balance('cosmos1relayer', 5);
  expect(await h.received()).toEqual([]);
  await balance('cosmos1relayer', 2.5);
  expect(view(await h.received())).toEqual(['firing:wallet-below-threshold:discord:111:discord:111']);
  const alert = (await h.received())[0]!.alerts[0]!;
  expect(alert.summary).toBe('Wallet cosmos1relayer on cosmoshub-4 holds 2.5 ATOM, below 3');
  await balance('cosmos1relayer', 0.5);
  expect(view(await h.received()).slice(1)).toEqual([
    'firing:wallet-below-threshold:discord:222:discord:222',
  ]);

  const refused = await h
    .rpc('unsubscribe', { by: 'discord:999', target: 'cosmos1relayer' })
    .catch((e: RpcError) => e);
  expect(refused).toBeInstanceOf(RpcError);
  expect(refused.code).toBe('forbidden');
  await expect(h.rpc('unsubscribe', { by: 'discord:111', target: 'cosmos1nothing' })).rejects.toMatchObject({
    code: 'not_found',
  });
  expect(await h.rpc('unsubscribe', { by: 'discord:111', target: 'cosmos1relayer' })).toEqual({ removed: 1 });
  // The owner's alert is over; later low balances tag only the remaining subscriber.
  expect(view(await h.received()).slice(2)).toEqual([
    'resolved:wallet-below-threshold:discord:111:discord:111',
  ]);
  await balance('cosmos1relayer', 0.4);
  expect(await h.received()).toHaveLength(3);
  const subs = await h.rpc<{ subscriptions: { owner: string }[] }>('subscriptions', {
    chain_id: 'cosmoshub-4',
  });
  expect(subs.subscriptions.map((s) => s.owner)).toEqual(['discord:222']);
  expect(await h.rpc('unsubscribe', { by: 'discord:1', is_admin: true, target: 'cosmos1relayer' })).toEqual({
    removed: 1,
  });
});

it('tags every subscriber of a wallet projected to be empty within 24 h, and the event’s own subscribers', async () => {
  await h.rpc('subscribe', {
    owner: 'slack:U1',
    target: 'cosmos1burner',
    chain_id: 'cosmoshub-4',
    threshold: 0.1,
  });
  await balance('cosmos1burner', 5, { projected_empty_s: 20 * 3600 });
  expect(view(await h.received())).toEqual(['firing:wallet-projected-empty:-:slack:U1']);
  expect((await h.received())[0]!.alerts[0]!.summary).toBe(
    'Wallet cosmos1burner on cosmoshub-4 will be empty in 20h',
  );
  // Thresholds can also come with the event (wallets tracked in the ingestor's config).
  h.clock.advance(1000);
  await h.publisher.publish(cosmosIbc.walletBalance, {
    chain_id: 'cosmoshub-4',
    dedup_key: 'cfg-wallet:1',
    data: { ...walletBalance('cosmos1config', 1), subscribers: [{ owner: 'role:relayers', threshold: 10 }] },
    observed_at: new Date(h.clock.now()),
  });
  await h.settle();
  expect(view(await h.received()).slice(1)).toEqual([
    'firing:wallet-below-threshold:role:relayers:role:relayers',
  ]);
});
