import { jetstreamManager } from '@nats-io/jetstream';
import type { AlerterHandle } from '@tocsin/alerter';
import { callRpc } from '@tocsin/bus';
import { alerterRpc, type Notification } from '@tocsin/events';
import type { RunningService } from '@tocsin/runtime';
import { collect, eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../services/cosmos-ibc/test/stack.ts';
import { startAlerter } from '../support/alerter.ts';

/**
 * The acceptance lines end to end: simulator → cosmos-ibc → alerter (its shipped default rules) → notifications.
 * One ManualClock drives all three.
 */
let s: Stack;
const alertsRpc = alerterRpc.alerts;
let alerter: RunningService;
let handle: AlerterHandle;
let notifications: ReturnType<typeof collect<Notification>>;
const HUB = 'cosmoshub-4';
const RELAYER = 'cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl';
const OWNER = 'discord:111111111111111111';

beforeAll(async () => {
  s = await startStack({
    name: 'cosmos-ibc-e2e',
    scenario: {
      chains: [
        {
          chain_id: HUB,
          denom: 'uatom',
          display_denom: 'ATOM',
          clients: [
            {
              client_id: '07-tendermint-0',
              counterparty_chain_id: 'osmosis-1',
              trusting_period_s: 51_800,
              last_update_ago_s: 41_441,
            },
            {
              client_id: '07-tendermint-1',
              counterparty_chain_id: 'juno-1',
              trusting_period_s: 51_800,
              last_update_ago_s: 41_439,
            },
          ],
          connections: [
            { connection_id: 'connection-0', client_id: '07-tendermint-0' },
            { connection_id: 'connection-1', client_id: '07-tendermint-1' },
          ],
          wallets: [{ address: RELAYER, balance: 5_000_000 }],
        },
      ],
    },
    section: { chains: [{ chain_id: HUB, rpc: [`sim:${HUB}`], denom: 'uatom', display_denom: 'ATOM' }] },
  });
  notifications = collect<Notification>(s.nc, s.env.subjects.alerts());
  ({ running: alerter, handle } = await startAlerter(s.env, s.clock));
});
afterAll(async () => {
  notifications?.stop();
  await alerter?.stop();
  await s?.stop();
});

/** Scans, then waits until the alerter has applied every event and run its timers. */
async function scanAndSettle() {
  await s.scan();
  const jsm = await jetstreamManager(s.nc);
  await eventually(
    async () => {
      const info = await jsm.consumers.info(s.env.subjects.streams.events, 'alerter');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    20_000,
    'the alerter to apply every event',
  );
  await handle.idle();
  await handle.tick();
  await s.nc.flush();
}

/**
 * Lets the alerter's timers run until a notification condition holds: an alert about an on-chain object waits
 * `priority_wait` (2 s) for a higher-priority alert on the same object before it is notified.
 */
async function untilNotified(check: () => boolean, what: string) {
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

const about = (clientId: string) =>
  notifications.items.filter((n) => n.alerts.some((a) => a.labels.client_id === clientId));

describe('simulator → ingestor → alerter', () => {
  it('the bot example: 41,441 s into 51,800 s alerts, 41,439 s does not', async () => {
    await scanAndSettle();
    await untilNotified(() => about('07-tendermint-0').length > 0, 'the expiry alert');
    const [n] = about('07-tendermint-0');
    // 10,359 s left is also under the default 12 h critical line; the more severe alert of the client is notified.
    expect(n).toMatchObject({ transition: 'firing', source: 'cosmos-ibc' });
    expect(n!.alerts[0]).toMatchObject({
      chain_id: HUB,
      state: 'firing',
      labels: { client_id: '07-tendermint-0' },
    });
    expect(['ibc-client-expiring', 'ibc-client-expiry-imminent']).toContain(n!.alerts[0]!.rule_id);
    const firing = alertsRpc.result.parse(
      await callRpc(s.nc, s.env.subjects.rpc('alerter', 'alerts'), { state: 'firing' }),
    );
    expect(firing.alerts.filter((a) => a.labels.client_id === '07-tendermint-0')).not.toEqual([]);
    expect(firing.alerts.filter((a) => a.labels.client_id === '07-tendermint-1')).toEqual([]);
    expect(about('07-tendermint-1')).toEqual([]);
  });

  it('$register → balance below the threshold → an alert tagging that user; $deregister stops it', async () => {
    const rpc = (method: string, body: unknown) => callRpc(s.nc, s.env.subjects.rpc('alerter', method), body);
    await rpc('subscribe', { owner: OWNER, target: RELAYER, chain_id: HUB, threshold: 2 });
    const wallet = () =>
      notifications.items.filter((n) => n.alerts.some((a) => a.rule_id === 'wallet-below-threshold'));

    s.clock.advance(600_000);
    await scanAndSettle();
    expect(wallet()).toEqual([]);
    expect(s.ofType('wallet_balance').at(-1)?.data).toMatchObject({
      display_amount: 5,
      subscribers: [{ owner: OWNER, threshold: 2 }],
    });

    s.sim.setBalance(HUB, RELAYER, 1_000_000);
    s.clock.advance(600_000);
    await scanAndSettle();
    await untilNotified(() => wallet().length > 0, 'the wallet alert');
    expect(wallet()[0]).toMatchObject({ transition: 'firing', severity: 'warning', mentions: [OWNER] });

    expect(await rpc('unsubscribe', { by: OWNER, target: RELAYER, chain_id: HUB })).toEqual({ removed: 1 });
    const before = wallet().length;
    const balancesBefore = s.ofType('wallet_balance').length;
    s.clock.advance(600_000);
    await scanAndSettle();
    s.clock.advance(24 * 3_600_000);
    await scanAndSettle();
    const after = wallet().slice(before);
    expect(after.filter((n) => n.transition === 'firing' || n.transition === 'repeat')).toEqual([]);
    // Subscribed only (not in the config): no longer watched at all.
    expect(s.ofType('wallet_balance').slice(balancesBefore)).toEqual([]);
  });
});
