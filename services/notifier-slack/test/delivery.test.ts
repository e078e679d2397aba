import { type EventEnvelope, system } from '@tocsin/events';
import { createPool, type Pool } from '@tocsin/store';
import { collect, eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METADATA_EVENT } from '../src/index.ts';
import { CHANNELS, firing, type Harness, later, startHarness, TOKEN } from './harness.ts';

let h: Harness;
let pool: Pool;

beforeAll(async () => {
  h = await startHarness('slack-delivery');
  pool = createPool({ url: h.env.databaseUrl, schema: h.env.schema, max: 2 });
});
afterAll(async () => {
  await pool.end();
  await h.close();
});

/** The top-level message in a channel that announced an episode (found by its Acknowledge button). */
function announcement(channel: string, episode: string) {
  return h.fake
    .messages(channel)
    .find((m) => (!m.thread_ts || m.thread_ts === m.ts) && JSON.stringify(m.blocks ?? []).includes(episode));
}

async function deliveryState(key: string, channel: string) {
  const r = await pool.query<{ state: string; attempts: number; ref: string | null; reason: string | null }>(
    `SELECT state, attempts, ref, reason FROM notify_deliveries
     WHERE notifier = 'slack' AND notification_key = $1 AND channel = $2`,
    [key, channel],
  );
  return r.rows[0];
}

describe('alerts to Slack', () => {
  it('posts Block Kit with the instance name, icon and metadata; repeats reply in the thread; resolve edits the original', async () => {
    const n = firing({}, { mentions: ['slack:U0SUB', 'discord:99'] });
    const episode = n.alerts[0]!.episode_id;
    await h.publisher.publishNotification(n);
    const post = await h.fake.waitForRequest({ method: 'chat.postMessage', channel: CHANNELS.alerts });
    expect(post.token).toBe(TOKEN);
    expect(post.args).toMatchObject({
      channel: CHANNELS.alerts,
      username: 'tocsin (test)',
      icon_url: 'https://example.org/tocsin.png',
      metadata: { event_type: METADATA_EVENT, event_payload: { attempt_id: expect.any(String) } },
    });
    const found = await eventually(() => announcement(CHANNELS.alerts, episode), 15_000, 'the alert message');
    const original = found!;
    expect(original.text).toContain('<!subteam^S0ONCALL> <@U0SUB>');
    expect(original.text).not.toContain('99');
    expect(original.blocks?.[0]).toMatchObject({
      type: 'header',
      text: { text: `🟠 Firing: ${n.alerts[0]!.summary}` },
    });
    await eventually(async () => (await deliveryState(n.key, CHANNELS.alerts))?.state === 'sent');
    expect((await deliveryState(n.key, CHANNELS.alerts))?.ref).toBe(original.ts);

    await h.publisher.publishNotification(later(n, 'repeat'));
    await eventually(
      () => h.fake.thread(CHANNELS.alerts, original.ts).length === 1,
      15_000,
      'the repeat reply',
    );
    const replies = h.fake.thread(CHANNELS.alerts, original.ts);
    expect(replies[0]!.text).toMatch(/^🔁 Still firing after/);

    const resolved = later(n, 'resolved', { state: 'resolved', resolved_at: new Date().toISOString() });
    await h.publisher.publishNotification(resolved);
    await eventually(
      () => h.fake.thread(CHANNELS.alerts, original.ts).length === 2,
      15_000,
      'the resolve reply',
    );
    const update = h.fake.requests({ method: 'chat.update', channel: CHANNELS.alerts });
    expect(update.map((r) => r.args.ts)).toEqual([original.ts]);
    const edited = h.fake.messages(CHANNELS.alerts).find((m) => m.ts === original.ts)!;
    expect(edited.edited).toBeDefined();
    expect(edited.blocks?.[0]).toMatchObject({ text: { text: `✅ Resolved: ${n.alerts[0]!.summary}` } });
    expect(JSON.stringify(edited.blocks)).toContain('*Resolved*');
    expect(edited.blocks?.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    expect(h.fake.thread(CHANNELS.alerts, original.ts)[1]!.text).toMatch(/^✅ Resolved after/);
    // Exactly one top-level message for the episode, whatever the number of transitions.
    expect(
      h.fake
        .messages(CHANNELS.alerts)
        .filter((m) => m.thread_ts !== original.ts || m.ts === original.ts)
        .filter((m) => JSON.stringify(m.blocks ?? []).includes(episode)),
    ).toHaveLength(1);
  });

  it('a critical alert goes to the pager and the default channel, each once', async () => {
    const n = firing({ severity: 'critical' }, { severity: 'critical' });
    await h.publisher.publishNotification(n);
    await h.publisher.publishNotification(n); // a duplicate publish is dropped by the bus, a redelivery by the log
    await eventually(async () => (await deliveryState(n.key, CHANNELS.alerts))?.state === 'sent');
    await eventually(async () => (await deliveryState(n.key, CHANNELS.pager))?.state === 'sent');
    const episode = n.alerts[0]!.episode_id;
    expect(
      h.fake.messages(CHANNELS.pager).filter((m) => JSON.stringify(m.blocks).includes(episode)),
    ).toHaveLength(1);
    expect(
      h.fake.messages(CHANNELS.alerts).filter((m) => JSON.stringify(m.blocks).includes(episode)),
    ).toHaveLength(1);
  });

  it('429 with Retry-After: the SDK waits it out and the alert is posted once', async () => {
    h.fake.failNext(
      { method: 'chat.postMessage', channel: CHANNELS.alerts },
      { status: 429, retryAfterS: 1 },
    );
    const n = firing();
    await h.publisher.publishNotification(n);
    await eventually(async () => (await deliveryState(n.key, CHANNELS.alerts))?.state === 'sent');
    const calls = h.fake
      .requests({ method: 'chat.postMessage', channel: CHANNELS.alerts })
      .filter((r) => JSON.stringify(r.args.blocks).includes(n.alerts[0]!.episode_id));
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    // One attempt in the delivery log: the SDK retried inside it, the stream did not redeliver.
    expect((await deliveryState(n.key, CHANNELS.alerts))?.attempts).toBe(1);
    expect(h.logs.some((l) => l.includes('Slack rate limit'))).toBe(true);
  });

  it('500 then success: retried through the stream, reconciled first, posted once', async () => {
    h.fake.failNext({ method: 'chat.postMessage', channel: CHANNELS.alerts }, { status: 500 });
    const n = firing();
    const episode = n.alerts[0]!.episode_id;
    await h.publisher.publishNotification(n);
    await eventually(async () => (await deliveryState(n.key, CHANNELS.alerts))?.state === 'sent');
    const calls = h.fake
      .requests({ method: 'chat.postMessage', channel: CHANNELS.alerts })
      .filter((r) => JSON.stringify(r.args.blocks).includes(episode));
    expect(calls.map((c) => c.status)).toEqual([500, 200]);
    expect((await deliveryState(n.key, CHANNELS.alerts))?.attempts).toBe(2);
    // The redelivery looked for an earlier post before posting again.
    expect(
      h.fake.requests({ method: 'conversations.history', channel: CHANNELS.alerts }).length,
    ).toBeGreaterThan(0);
    expect(
      h.fake.messages(CHANNELS.alerts).filter((m) => JSON.stringify(m.blocks).includes(episode)),
    ).toHaveLength(1);
  });

  it('Slack posted but the answer never came (timeout): the retry finds the post and sends nothing more', async () => {
    const hang = h.fake.failNext({ method: 'chat.postMessage', channel: CHANNELS.alerts }, { hang: true });
    const n = firing();
    const episode = n.alerts[0]!.episode_id;
    await h.publisher.publishNotification(n);
    await eventually(async () => (await deliveryState(n.key, CHANNELS.alerts))?.state === 'sent');
    expect(hang.remaining).toBe(0);
    const posted = h.fake.messages(CHANNELS.alerts).filter((m) => JSON.stringify(m.blocks).includes(episode));
    expect(posted).toHaveLength(1);
    expect((await deliveryState(n.key, CHANNELS.alerts))?.ref).toBe(posted[0]!.ts);
    const posts = h.fake
      .requests({ method: 'chat.postMessage', channel: CHANNELS.alerts })
      .filter((r) => JSON.stringify(r.args.blocks).includes(episode));
    expect(posts).toHaveLength(1);
  });

  it('permanent error (bot not in the channel): a delivery_failed event and a log line naming channel and reason', async () => {
    const failed = collect<EventEnvelope>(
      h.nc,
      h.env.subjects.event(system.deliveryFailed.source, system.deliveryFailed.type),
    );
    const n = firing(
      { transition: 'notice', source: 'system', key: `notice-${Date.now()}` },
      { severity: 'info' },
    );
    await h.publisher.publishNotification(n);
    const [event] = await failed.waitFor(1);
    expect(event!.data).toEqual({
      notifier: 'slack',
      channel: CHANNELS.outside,
      notification_key: n.key,
      reason: `slack channel ${CHANNELS.outside}: not_in_channel`,
      status: null,
    });
    await eventually(async () => (await deliveryState(n.key, CHANNELS.outside))?.state === 'failed');
    const line = h.logs.find((l) => l.includes('delivery failed permanently'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({
      channel: CHANNELS.outside,
      reason: expect.stringContaining('not_in_channel'),
    });
    // Not retried: one call only.
    expect(h.fake.requests({ method: 'chat.postMessage', channel: CHANNELS.outside })).toHaveLength(1);
    failed.stop();
  });

  it('archived channel is permanent too; the other channels of the alert still get it', async () => {
    const archived = h.fake.failAlways(
      { method: 'chat.postMessage', channel: CHANNELS.pager },
      { error: 'is_archived' },
    );
    const failed = collect<EventEnvelope>(
      h.nc,
      h.env.subjects.event(system.deliveryFailed.source, system.deliveryFailed.type),
    );
    const n = firing({ severity: 'critical' }, { severity: 'critical' });
    await h.publisher.publishNotification(n);
    const [event] = await failed.waitFor(1);
    expect(event!.data).toMatchObject({
      channel: CHANNELS.pager,
      reason: `slack channel ${CHANNELS.pager}: is_archived`,
    });
    await eventually(async () => (await deliveryState(n.key, CHANNELS.alerts))?.state === 'sent');
    archived.clear();
    failed.stop();
  });

  it('never logs the token or the signing secret', () => {
    const all = h.logs.join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('test-signing-secret');
  });
});

describe('identity', () => {
  it("posts under the sender's name and icon when the alerts carry them (as an instance's startup notice does)", async () => {
    // (Notices go to a channel of their own in these tests, one the bot is not in: a firing alert shows it here.)
    const n = firing(
      {},
      {
        summary: `hub relayers: client at 80% (${Date.now()})`,
        labels: {
          client_id: '07-tendermint-9',
          sender_name: 'hub relayers',
          sender_icon_url: 'https://example.org/hub.png',
        },
      },
    );
    await h.publisher.publishNotification(n);
    const post = await eventually(
      () =>
        h.fake
          .requests({ method: 'chat.postMessage', channel: CHANNELS.alerts })
          .find((r) => JSON.stringify(r.args).includes(n.alerts[0]!.summary)),
      15_000,
      'the post',
    );
    // Instead of the configured 'tocsin (test)' and its icon.
    expect(post!.args).toMatchObject({ username: 'hub relayers', icon_url: 'https://example.org/hub.png' });
  });
});
