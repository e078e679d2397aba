import { createPool, migrate, type Pool, storeMigrations } from '@tocsin/store';
import { alertFixture, eventually, notificationFixture, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DeliveryContext,
  DeliveryError,
  DeliveryInProgress,
  deliverNotification,
  notifyMigrations,
  type Provider,
  routeChannels,
  routeConfig,
} from '../src/index.ts';
import { sampleNotification } from './fixtures.ts';

let env: TestEnv;
let pool: Pool;

beforeAll(async () => {
  env = await testEnv('notify-delivery');
  await migrate({ url: env.databaseUrl, dir: storeMigrations, service: 'store', schema: env.schema });
  await migrate({ url: env.databaseUrl, dir: notifyMigrations.dir, service: 'notify', schema: env.schema });
  pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 2 });
});
afterAll(async () => {
  await pool.end();
  await env.cleanup();
});

/** A provider that records what it "sent", and can crash after sending (before the log is updated). */
function recordingProvider(channels: string[]) {
  const sent: { channel: string; key: string; attemptId: string; priorRefs: Map<string, string> }[] = [];
  let crashAfterSend = false;
  let nextRef = 1;
  const provider: Provider = {
    name: 'rec',
    routes: () => channels,
    async deliver(ctx: DeliveryContext) {
      sent.push({
        channel: ctx.channel,
        key: ctx.notification.key,
        attemptId: ctx.attemptId,
        priorRefs: ctx.priorRefs,
      });
      if (crashAfterSend) {
        crashAfterSend = false;
        throw new Error('process died after the provider accepted the message');
      }
      return { ref: `m${nextRef++}` };
    },
    async reconcile(ctx) {
      const hit = sent.find((s) => s.attemptId === ctx.attemptId);
      return hit ? { ref: 'reconciled' } : null;
    },
  };
  return { provider, sent, crashNext: () => (crashAfterSend = true) };
}

describe('deliverNotification', () => {
  it('sends once per channel; a redelivered message is skipped', async () => {
    const { provider, sent } = recordingProvider(['a', 'b']);
    const n = sampleNotification();
    const first = await deliverNotification({ pool, provider, notification: n });
    const again = await deliverNotification({ pool, provider, notification: n });
    expect(first.map((o) => o.state)).toEqual(['sent', 'sent']);
    expect(again.map((o) => o.state)).toEqual(['skipped', 'skipped']);
    expect(sent).toHaveLength(2);
  });

  it('a crash between send and record is reconciled on redelivery, not sent twice', async () => {
    const { provider, sent, crashNext } = recordingProvider(['a']);
    const n = sampleNotification();
    crashNext();
    await expect(deliverNotification({ pool, provider, notification: n, leaseMs: 0 })).rejects.toThrow(
      /process died/,
    );
    const retried = await deliverNotification({ pool, provider, notification: n, leaseMs: 0 });
    expect(retried[0]!.state).toBe('reconciled');
    expect(sent).toHaveLength(1);
  });

  it('records permanent failures, reports them once, and keeps other channels', async () => {
    const failures: string[] = [];
    const provider: Provider = {
      name: 'perm',
      routes: () => ['gone', 'ok'],
      async deliver(ctx) {
        if (ctx.channel === 'gone') throw new DeliveryError('Unknown Channel (10003)', false, 404);
        return { ref: 'x' };
      },
    };
    const n = sampleNotification();
    const out = await deliverNotification({
      pool,
      provider,
      notification: n,
      onPermanentFailure: async (c) => void failures.push(c),
    });
    expect(out.map((o) => o.state)).toEqual(['failed', 'sent']);
    await deliverNotification({
      pool,
      provider,
      notification: n,
      onPermanentFailure: async (c) => void failures.push(c),
    });
    expect(failures).toEqual(['gone']);
  });

  it('hands the firing message ref to later transitions of the same episode (edit on resolve)', async () => {
    const { provider, sent } = recordingProvider(['a']);
    const firing = sampleNotification();
    await deliverNotification({ pool, provider, notification: firing });
    const episode = firing.alerts[0]!.episode_id;
    const resolved = sampleNotification(
      { key: `${episode}:resolved:1`, transition: 'resolved' },
      { episode_id: episode, state: 'resolved' },
    );
    await deliverNotification({ pool, provider, notification: resolved });
    expect(sent[1]!.priorRefs.get(episode)).toBe('m1');
  });

  it("an incident's context alert is neither edited with it nor takes its message for its own", async () => {
    const { provider, sent } = recordingProvider(['a']);
    // The counterparty stalled: its own message (m1).
    const stalled = alertFixture({ rule_id: 'cosmos-chain-stalled', fingerprint: 'stall' });
    await deliverNotification({ pool, provider, notification: notificationFixture({}, [stalled]) });
    // An incident listing it first, as context, with a member: the incident's message is not m1 …
    const member = alertFixture({ fingerprint: 'client' });
    const incident = (key: string) =>
      notificationFixture(
        { key, incident: { id: 'ibc-relayer', summary: 's', context: [stalled.episode_id] } },
        [stalled, member],
      );
    await deliverNotification({ pool, provider, notification: incident('inc:firing:1') });
    expect([...sent[1]!.priorRefs]).toEqual([]);
    // … and its edit finds the incident's message (m2) only; the stall's later transitions find m1 only.
    await deliverNotification({ pool, provider, notification: incident('inc:firing:2') });
    expect([...sent[2]!.priorRefs]).toEqual([[member.episode_id, 'm2']]);
    await deliverNotification({
      pool,
      provider,
      notification: notificationFixture({ key: 'stall:resolved', transition: 'resolved' }, [
        { ...stalled, state: 'resolved' },
      ]),
    });
    expect([...sent[3]!.priorRefs]).toEqual([[stalled.episode_id, 'm1']]);
  });
});

describe('routing', () => {
  it('routes by source, severity and chain, falling back to the default channel', () => {
    const cfg = routeConfig.parse({
      default_channel: 'general',
      routes: [
        { severity: 'critical', channel: 'pager', continue: true },
        { source: 'cosmos-ibc', chain_id: 'osmosis-1', channel: 'osmo' },
        { source: 'system', transition: 'notice', channel: 'startup' },
      ],
    });
    expect(routeChannels(cfg, sampleNotification({ severity: 'critical' }))).toEqual(['pager', 'general']);
    expect(routeChannels(cfg, sampleNotification({}, { chain_id: 'osmosis-1' }))).toEqual(['osmo']);
    expect(routeChannels(cfg, sampleNotification({ source: 'system', transition: 'notice' }))).toEqual([
      'startup',
    ]);
    expect(routeChannels(cfg, sampleNotification())).toEqual(['general']);
  });
});

describe('concurrent copies', () => {
  it('a second copy of a message being delivered waits instead of sending in parallel', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let sends = 0;
    const provider: Provider = {
      name: 'slow',
      routes: () => ['c'],
      async deliver() {
        sends++;
        await gate;
        return { ref: 'one' };
      },
    };
    const n = sampleNotification();
    const first = deliverNotification({ pool, provider, notification: n, leaseMs: 60_000 });
    await eventually(() => sends === 1, 15_000, 'the first attempt to be sending');
    await expect(
      deliverNotification({ pool, provider, notification: n, leaseMs: 60_000 }),
    ).rejects.toBeInstanceOf(DeliveryInProgress);
    release();
    await first;
    const later = await deliverNotification({ pool, provider, notification: n, leaseMs: 60_000 });
    expect(later.map((o) => o.state)).toEqual(['skipped']);
    expect(sends).toBe(1);
  });

  it('takes over an attempt whose lease expired (the process holding it died)', async () => {
    const { provider, sent, crashNext } = recordingProvider(['a']);
    const n = sampleNotification();
    crashNext();
    await expect(deliverNotification({ pool, provider, notification: n, leaseMs: 0 })).rejects.toThrow(
      /process died/,
    );
    const retried = await deliverNotification({ pool, provider, notification: n, leaseMs: 0 });
    expect(retried[0]!.state).toBe('reconciled');
    expect(sent).toHaveLength(1);
  });
});
