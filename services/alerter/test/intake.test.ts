import { jetstreamManager } from '@nats-io/jetstream';
import type { DeadLetter } from '@tocsin/bus';
import { cosmosIbc, type Notification, newId } from '@tocsin/events';
import { collect, eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { clientStatus, publishClient, walletBalance } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

/** Facts whose time or subject cannot be trusted: bounded by receive time, or dead-lettered with the reason. */
let env: TestEnv;
let h: Harness;
let dlq: ReturnType<typeof collect<DeadLetter>>;
const CHAIN = 'intake-1';
const CRITICAL = 45_000; // of a 51,800 s trusting period: past 80 % with less than 12 h left
const HEALTHY = 1_000;

beforeAll(async () => {
  env = await testEnv('alerter-intake');
  h = await startAlerter(
    env,
    { defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 } },
    { watchServices: true },
  );
  dlq = collect<DeadLetter>(h.nc, env.subjects.deadLetterAll());
  await h.nc.flush();
});
/**
 * Waits until every event published so far was applied or dead-lettered. (h.settle() waits for nothing to be
 * pending, but NATS 2.9 ignores `term` with a reason, so a dead-lettered message stays pending until its ack wait.)
 */
async function applied(): Promise<void> {
  const jsm = await jetstreamManager(h.nc);
  const last = (await jsm.streams.info(env.subjects.streams.events)).state.last_seq;
  await eventually(
    async () => {
      const info = await jsm.consumers.info(env.subjects.streams.events, 'alerter');
      const dead = new Set(dlq.items.map((d) => d.stream_seq)).size;
      return info.delivered.stream_seq >= last && info.num_pending === 0 && info.num_ack_pending <= dead;
    },
    20_000,
    'the alerter to apply or dead-letter every event',
  );
  await h.handle.idle();
}

afterAll(async () => {
  dlq?.stop();
  await h?.stop();
  await env.cleanup();
});
beforeEach(() => {
  h.notifications.items.length = 0;
});

const about = (ns: Notification[], client: string) =>
  ns.flatMap((n) =>
    n.alerts.filter((a) => a.labels.client_id === client).map((a) => `${n.transition}:${a.rule_id}`),
  );

/** A client_status stamped `observed` (published now, by the harness's clock). */
const stamped = (client: string, elapsed: number, observed: Date) =>
  h.publisher.publish(cosmosIbc.clientStatus, {
    chain_id: CHAIN,
    dedup_key: `${client}:${elapsed}:${observed.toISOString()}`,
    data: clientStatus(client, { elapsed }),
    observed_at: observed,
  });

describe('future-dated events', () => {
  it('an event stamped in 2099 is dead-lettered and does not mask a firing critical', async () => {
    const client = '07-tendermint-1';
    await publishClient(h, CHAIN, client, { elapsed: CRITICAL });
    await applied();
    expect(about(await h.received(), client)).toEqual(['firing:ibc-client-expiry-imminent']);

    // A healthy report from a clock set to 2099: it would resolve the alert, and every real scan after it would
    // be "older" and ignored.
    await stamped(client, HEALTHY, new Date('2099-01-01T00:00:00Z'));
    await applied();
    const dead = await eventually(
      () => dlq.items.find((d) => d.payload.includes('2099-01-01')),
      20_000,
      'the 2099 event in the dead-letter stream',
    );
    expect(dead!.reason).toMatch(
      /^observed_at 2099-01-01T00:00:00\.000Z is \d+ s after the event was received \(2026-11-20T12:00:00\.000Z\); at most 30 s is allowed/,
    );
    expect(dead!.subject).toBe(env.subjects.event('cosmos-ibc', 'client_status'));

    // Five real scans: still critical, nothing resolved.
    for (let scan = 1; scan <= 5; scan++) {
      h.clock.advance(60_000);
      await publishClient(h, CHAIN, client, { elapsed: CRITICAL + scan * 60 });
    }
    await applied();
    expect(about(await h.received(), client)).toEqual(['firing:ibc-client-expiry-imminent']);
    const open = await h.handle.alerter.alerts({ state: 'firing', limit: 50 });
    expect(open.filter((a) => a.labels.client_id === client).map((a) => a.rule_id)).toEqual([
      'ibc-client-expiry-imminent',
    ]);

    // The real recovery resolves it.
    h.clock.advance(60_000);
    await publishClient(h, CHAIN, client, { elapsed: HEALTHY });
    await applied();
    expect(about(await h.received(), client)).toEqual([
      'firing:ibc-client-expiry-imminent',
      'resolved:ibc-client-expiry-imminent',
    ]);
  });

  it('an event within the skew counts as observed when it arrived, so a later fact overrides it', async () => {
    const client = '07-tendermint-2';
    h.clock.advance(60_000);
    await publishClient(h, CHAIN, client, { elapsed: CRITICAL });
    await applied();
    // 20 s ahead (within 30 s): accepted, resolves.
    await stamped(client, HEALTHY, new Date(h.clock.now() + 20_000));
    await applied();
    // 5 s later a real scan says critical again: it arrived after the previous one, so it is the newer fact.
    h.clock.advance(5_000);
    await publishClient(h, CHAIN, client, { elapsed: CRITICAL + 5 });
    await applied();
    expect(about(await h.received(), client)).toEqual([
      'firing:ibc-client-expiry-imminent',
      'resolved:ibc-client-expiry-imminent',
      'firing:ibc-client-expiry-imminent',
    ]);
    expect(dlq.items.filter((d) => d.payload.includes(client))).toEqual([]);
  });

  it('a heartbeat stamped in the future is ignored (it would hold off the absence alert)', async () => {
    const beat = (observed: number) =>
      h.nc.publish(
        env.subjects.health('notifier-webhook'),
        JSON.stringify({
          id: newId(h.clock.now()),
          source: 'system',
          type: 'heartbeat',
          version: 1,
          chain_id: '-',
          instance: 'future',
          observed_at: new Date(observed).toISOString(),
          dedup_key: `notifier-webhook:future:${observed}`,
          data: { service: 'notifier-webhook', ready: true, uptime_s: 5, heights: {}, stopping: false },
        }),
      );
    {
      beat(h.clock.now());
      beat(Date.parse('2099-01-01T00:00:00Z'));
      await h.syncCore();
      await h.advance(121_000);
      const silent = (await h.received()).flatMap((n) =>
        n.alerts
          .filter((a) => a.rule_id === 'service-silent' && a.labels.instance === 'future')
          .map(() => n.transition),
      );
      expect(silent).toEqual(['firing']);
    }
  });
});

describe('subject and envelope', () => {
  it('an event whose envelope names another source/type than its subject is dead-lettered', async () => {
    const id = newId(h.clock.now());
    await h.publisher.js.publish(
      env.subjects.event('cosmos-ibc', 'client_status'),
      JSON.stringify({
        id,
        source: 'cosmos-ibc',
        type: 'wallet_balance',
        version: 1,
        chain_id: CHAIN,
        instance: 'test',
        observed_at: new Date(h.clock.now()).toISOString(),
        dedup_key: id,
        data: walletBalance('cosmos1mismatch', 1),
      }),
    );
    await applied();
    const dead = await eventually(
      () => dlq.items.find((d) => d.payload.includes(id)),
      20_000,
      'the mismatched event in the dead-letter stream',
    );
    expect(dead!.reason).toBe('invalid message');
    expect(dead!.issues).toEqual([
      `(subject): ${env.subjects.event('cosmos-ibc', 'client_status')} does not agree with the envelope's source/type cosmos-ibc.wallet_balance (expected <prefix>.events.cosmos-ibc.wallet_balance)`,
    ]);
  });
});

describe('alerter.max_future_skew', () => {
  it('defaults to 30 s, accepts a duration, refuses zero or less', () => {
    expect(alerterConfig.parse({}).max_future_skew).toBe(30_000);
    expect(alerterConfig.parse({ max_future_skew: '2m' }).max_future_skew).toBe(120_000);
    for (const bad of [0, '0s', -5]) {
      const r = alerterConfig.safeParse({ max_future_skew: bad });
      expect(r.success).toBe(false);
      expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')).toMatch(
        /^max_future_skew: /,
      );
    }
  });
});
