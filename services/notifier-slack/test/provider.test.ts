import { Writable } from 'node:stream';
import { type FakeSlack, startFakeSlack } from '@tocsin/chat-fakes';
import { DeliveryInProgress, deliverNotification, notifyMigrations, type Provider } from '@tocsin/notify';
import { createLogger } from '@tocsin/runtime';
import { createPool, migrate, type Pool, storeMigrations } from '@tocsin/store';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageStore, slackClient, slackProvider } from '../src/index.ts';
import { CHANNELS, fakeChannels, firing, later, TOKEN } from './harness.ts';

let env: TestEnv;
let pool: Pool;
let fake: FakeSlack;
let provider: Provider;

beforeAll(async () => {
  env = await testEnv('slack-provider');
  await migrate({ url: env.databaseUrl, dir: storeMigrations, service: 'store', schema: env.schema });
  await migrate({ url: env.databaseUrl, dir: notifyMigrations.dir, service: 'notify', schema: env.schema });
  await migrate({
    url: env.databaseUrl,
    dir: new URL('../migrations', import.meta.url).pathname,
    service: 'notifier-slack',
    schema: env.schema,
  });
  pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 8 });
  // Connections opened now, not by the five concurrent copies below: a copy still connecting when the first one
  // has already sent (past the fake's 300 ms delay) would find it 'sent' rather than in progress.
  for (const c of await Promise.all(Array.from({ length: 8 }, () => pool.connect()))) c.release();
  fake = await startFakeSlack({ token: TOKEN });
  fakeChannels(fake);
  const log = createLogger({
    service: 'test',
    instance: 'test',
    level: 'warn',
    dest: new Writable({ write: (_c, _e, done) => done() }),
  });
  const client = slackClient(TOKEN, { apiUrl: fake.url, timeoutMs: 2000, rateLimitRetries: 2, log });
  provider = slackProvider({
    client,
    config: { default_channel: CHANNELS.alerts, routes: [], mentions: [], username: 'tocsin' },
    store: messageStore(pool),
    log,
  });
});
afterAll(async () => {
  await pool.end();
  await fake.close();
  await env.cleanup();
});

const about = (episode: string) => (m: { blocks?: unknown[] }) =>
  JSON.stringify(m.blocks ?? []).includes(episode);

describe('slackProvider with the delivery log', () => {
  it('five copies of one notification handled at once (JetStream redelivery): one message', async () => {
    const n = firing();
    // Slack is slow to take the first post, so the other copies look before it lands.
    fake.failNext({ method: 'chat.postMessage', channel: CHANNELS.alerts }, { delayMs: 300 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, () => deliverNotification({ pool, provider, notification: n })),
    );
    // One copy sends; the others are told to come back later (JetStream redelivers them, then they skip).
    const sent = outcomes.filter((o) => o.status === 'fulfilled' && o.value[0]!.state === 'sent');
    const waiting = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof DeliveryInProgress);
    expect(sent).toHaveLength(1);
    expect(sent.length + waiting.length).toBe(5);
    const again = await deliverNotification({ pool, provider, notification: n });
    expect(again[0]!.state).toBe('skipped');
    expect(fake.messages(CHANNELS.alerts).filter(about(n.alerts[0]!.episode_id))).toHaveLength(1);
  });

  it('a resolve spanning two threads that failed half-way: the retry completes only the missing thread', async () => {
    const a = firing();
    const b = firing();
    await deliverNotification({ pool, provider, notification: a });
    await deliverNotification({ pool, provider, notification: b });
    const tsA = fake.messages(CHANNELS.alerts).find(about(a.alerts[0]!.episode_id))!.ts;
    const tsB = fake.messages(CHANNELS.alerts).find(about(b.alerts[0]!.episode_id))!.ts;
    const resolvedAt = new Date().toISOString();
    const resolved = {
      ...later(a, 'resolved', { state: 'resolved', resolved_at: resolvedAt }),
      alerts: [
        { ...a.alerts[0]!, state: 'resolved' as const, resolved_at: resolvedAt },
        { ...b.alerts[0]!, state: 'resolved' as const, resolved_at: resolvedAt },
      ],
    };
    // The reply in A's thread goes through; the one in B's thread hits a 500.
    fake.failNext({ method: 'chat.postMessage', threadTs: tsB }, { status: 500 });
    await expect(deliverNotification({ pool, provider, notification: resolved })).rejects.toThrow(/HTTP 500/);
    expect(fake.thread(CHANNELS.alerts, tsA)).toHaveLength(1);
    expect(fake.thread(CHANNELS.alerts, tsB)).toHaveLength(0);

    const retry = await deliverNotification({ pool, provider, notification: resolved });
    expect(retry[0]!.state).toBe('sent');
    const replies = (ts: string) => fake.thread(CHANNELS.alerts, ts).filter((m) => m.text.startsWith('✅'));
    expect(replies(tsA)).toHaveLength(1);
    expect(replies(tsB)).toHaveLength(1);
    for (const ts of [tsA, tsB]) {
      const original = fake.messages(CHANNELS.alerts).find((m) => m.ts === ts)!;
      expect(original.blocks?.[0]).toMatchObject({ text: { text: expect.stringMatching(/^✅ Resolved/) } });
    }
  });
});

describe('digests', () => {
  it('one message for a burst, with every attempt id: reconcile of any item finds it', async () => {
    const items = [firing(), firing(), firing()].map((n, i) => ({
      notification: n,
      channel: CHANNELS.alerts,
      attemptId: `digest-attempt-${Date.now()}-${i}`,
      priorRefs: new Map<string, string>(),
    }));
    const before = fake.messages(CHANNELS.alerts).length;
    const { ref } = await provider.deliverDigest!(CHANNELS.alerts, items);
    const posted = fake.messages(CHANNELS.alerts).slice(before);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.ts).toBe(ref);
    expect(posted[0]!.metadata).toEqual({
      event_type: 'tocsin_notification',
      event_payload: { attempt_id: items[0]!.attemptId, attempt_ids: items.map((i) => i.attemptId) },
    });
    for (const n of items.map((i) => i.notification)) {
      expect(JSON.stringify(posted[0]!.blocks)).toContain(n.alerts[0]!.summary);
    }
    expect(await provider.reconcile!({ ...items[2]!, priorRefs: new Map() })).toEqual({ ref });
  });
});
