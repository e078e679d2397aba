import { jetstream } from '@nats-io/jetstream';
import { type EventEnvelope, newId } from '@tocsin/events';
import { attemptIdFor } from '@tocsin/notify';
import { collect, eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOURS } from '../src/render/card.ts';
import { alertOf, notificationOf, resolvedOf } from './fixtures.ts';
import { drained, type Harness, messagesShowing, startHarness } from './harness.ts';

let env: TestEnv;
let h: Harness;

beforeAll(async () => {
  env = await testEnv('discord-delivery');
  h = await startHarness(env, ({ channels }) => ({
    mentions: { critical: ['<@&900000000000000001>'] },
    routes: [
      { source: 'system', channel: channels.test },
      { chain_id: 'osmosis-1', channel: channels.ops, continue: true },
    ],
  }));
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});

const postsTo = (channel: string) => ({ method: 'POST', path: `/channels/${channel}/messages` });
const unique = (what: string) => `${what} ${newId()}`;

describe('alerts as Discord messages', () => {
  it('posts a firing alert once, as an embed with buttons, mentions and an idempotency nonce', async () => {
    const summary = unique('client 07-tendermint-0 at 80%');
    const a = alertOf({ summary, severity: 'critical', mentions: ['discord:300000000000000001'] });
    const n = notificationOf({}, [a]);
    await h.publish(n);
    const [m] = await messagesShowing(h, h.channels.alerts, summary);
    expect(m!.embeds).toMatchObject([{ title: `🔴 FIRING · ${summary}`, color: COLOURS.critical }]);
    expect(m!.content).toBe('<@&900000000000000001> <@300000000000000001>');
    expect(m!.components).toMatchObject([{ components: [{ custom_id: `ack:${a.episode_id}` }, {}, {}] }]);
    const post = h.fake
      .requests(postsTo(h.channels.alerts))
      .find((r) => JSON.stringify(r.body).includes(summary))!;
    expect(post.body).toMatchObject({
      nonce: attemptIdFor('discord', n.key, h.channels.alerts),
      enforce_nonce: true,
      allowed_mentions: { parse: [], users: ['300000000000000001'], roles: ['900000000000000001'] },
    });
    // The same notification again under another message id (past JetStream's dedup): the log skips it.
    const js = jetstream(h.nc);
    await js.publish(env.subjects.alert(n.severity, n.source), JSON.stringify(n), { msgID: newId() });
    await drained(h);
    const { rows } = await h.running.ctx.pool.query(
      'SELECT state FROM notify_deliveries WHERE notification_key = $1',
      [n.key],
    );
    expect(rows).toEqual([{ state: 'sent' }]);
    expect(h.messagesWith(h.channels.alerts, summary)).toHaveLength(1);
  });

  it('edits the original message on resolve and replies to it; repeats reply too', async () => {
    const summary = unique('wallet below threshold');
    const a = alertOf({ summary });
    await h.publish(notificationOf({}, [a]));
    const [original] = await messagesShowing(h, h.channels.alerts, summary);

    await h.publish(notificationOf({ transition: 'repeat' }, [a]));
    await h.publish(notificationOf({ transition: 'resolved' }, [resolvedOf(a)]));
    const all = await messagesShowing(h, h.channels.alerts, summary, 3);
    const replies = all.filter((m) => m.id !== original!.id);
    expect(replies.map((r) => r.message_reference?.message_id)).toEqual([original!.id, original!.id]);
    expect(replies[0]!.embeds).toMatchObject([{ title: `🟠 STILL FIRING · ${summary}` }]);
    expect(replies[1]!.embeds).toMatchObject([
      { title: `✅ RESOLVED · ${summary}`, color: COLOURS.resolved },
    ]);

    await eventually(
      () => h.fake.messages(h.channels.alerts).find((m) => m.id === original!.id)?.edited_timestamp,
    );
    const edited = h.fake.messages(h.channels.alerts).find((m) => m.id === original!.id)!;
    expect(edited.embeds).toMatchObject([{ title: `✅ RESOLVED · ${summary}`, color: COLOURS.resolved }]);
    expect(JSON.stringify(edited.embeds)).toContain('"name":"Resolved"');
    expect(edited.components).toEqual([]);
    // The repeat refreshed the original (its alert may carry news: acknowledged, escalated); the resolve edited it.
    expect(
      h.fake.requests({ method: 'PATCH', path: `/channels/${h.channels.alerts}/messages/${original!.id}` }),
    ).toHaveLength(2);
  });

  it('shows an acknowledgement by editing the message, without posting', async () => {
    const summary = unique('client expiring');
    const a = alertOf({ summary });
    await h.publish(notificationOf({}, [a]));
    const [original] = await messagesShowing(h, h.channels.alerts, summary);
    const acked = {
      ...a,
      acknowledged: { by: 'discord:200000000000000001', at: '2026-11-21T12:10:00.000Z' },
    };
    await h.publish(notificationOf({ transition: 'acknowledged' }, [acked]));
    await eventually(() =>
      JSON.stringify(h.fake.messages(h.channels.alerts).find((m) => m.id === original!.id)?.embeds).includes(
        '<@200000000000000001>',
      ),
    );
    expect(h.messagesWith(h.channels.alerts, summary)).toHaveLength(1);
  });

  it('routes by source and chain: startup notices to the test channel, osmosis also to ops', async () => {
    const started = unique('cosmos-ibc 0.1.0 started (node-a)');
    await h.publish(
      notificationOf({ transition: 'notice', source: 'system', severity: 'info' }, [
        alertOf({ source: 'system', severity: 'info', rule_id: 'service-started', summary: started }),
      ]),
    );
    const osmo = unique('osmosis client expiring');
    await h.publish(notificationOf({}, [alertOf({ chain_id: 'osmosis-1', summary: osmo })]));
    const [notice] = await messagesShowing(h, h.channels.test, started);
    expect(notice!.embeds).toMatchObject([{ title: `🔵 NOTICE · ${started}`, color: COLOURS.info }]);
    await messagesShowing(h, h.channels.ops, osmo);
    await messagesShowing(h, h.channels.alerts, osmo);
    expect(h.messagesWith(h.channels.alerts, started)).toEqual([]);
  });

  it('splits a grouped notification within Discord limits, losing no alert', async () => {
    const tag = unique('storm');
    const alerts = Array.from({ length: 120 }, (_, i) =>
      alertOf({ summary: `${tag} client 07-tendermint-${i} is 81% through its trusting period` }),
    );
    await h.publish(notificationOf({}, alerts));
    const parts = await eventually(() => {
      const found = h.messagesWith(h.channels.alerts, tag);
      const fields = found.flatMap((m) =>
        (m.embeds as { fields?: unknown[] }[]).flatMap((e) => e.fields ?? []),
      );
      return fields.length === 120 ? found : null;
    });
    expect(parts!.length).toBeGreaterThan(1);
    for (const p of parts!) {
      const chars = JSON.stringify(p.embeds).length;
      expect(chars).toBeLessThan(12_000);
      expect((p.embeds as { title?: string }[])[0]!.title).toMatch(
        /^🟠 FIRING · 120 alerts · cosmos-ibc \(part \d+\/\d+\)$/,
      );
    }
  });
});

describe('failures', () => {
  it('waits out a 429 (Retry-After) and sends once', async () => {
    h.fake.failNext(postsTo(h.channels.ops), { status: 429, retryAfterS: 0.1 });
    const summary = unique('rate limited');
    await h.publish(notificationOf({}, [alertOf({ summary, chain_id: 'osmosis-1' })]));
    await messagesShowing(h, h.channels.ops, summary);
    const statuses = h.fake
      .requests(postsTo(h.channels.ops))
      .filter((r) => JSON.stringify(r.body).includes(summary))
      .map((r) => r.status);
    expect(statuses).toEqual([429, 200]);
  });

  it('retries 5xx: discord.js retries once, then the notification is retried with backoff', async () => {
    h.fake.failNext(postsTo(h.channels.ops), { status: 500, times: 3 });
    const summary = unique('server error');
    await h.publish(notificationOf({}, [alertOf({ summary, chain_id: 'osmosis-1' })]));
    await messagesShowing(h, h.channels.ops, summary);
    const statuses = h.fake
      .requests(postsTo(h.channels.ops))
      .filter((r) => JSON.stringify(r.body).includes(summary))
      .map((r) => r.status);
    expect(statuses).toEqual([500, 500, 500, 200]);
    expect(h.messagesWith(h.channels.ops, summary)).toHaveLength(1);
  });

  it('gives up on a 403 (Missing Permissions): delivery_failed event and a log line naming the channel', async () => {
    const nc = await env.nats();
    const failed = collect<EventEnvelope>(nc, env.subjects.event('system', 'delivery_failed'));
    // The subscription is on its own connection: make sure the server has it before the notification goes out.
    await nc.flush();
    const handle = h.fake.failAlways(
      { channelId: h.channels.ops },
      { status: 403, code: 50013, message: 'Missing Permissions' },
    );
    const summary = unique('no permission');
    const n = notificationOf({}, [alertOf({ summary, chain_id: 'osmosis-1' })]);
    await h.publish(n);
    const [event] = await failed.waitFor(1);
    handle.clear();
    expect(event!.data).toEqual({
      notifier: 'discord',
      channel: h.channels.ops,
      notification_key: n.key,
      reason: expect.stringMatching(
        new RegExp(`^Missing Permissions \\(50013\\) in channel ${h.channels.ops}`),
      ),
      status: 403,
    });
    // The default channel (routes continue) still got it.
    await messagesShowing(h, h.channels.alerts, summary);
    const line = await eventually(() =>
      h.logs.find((l) => l.msg === 'delivery failed permanently' && l.key === n.key),
    );
    expect(line).toMatchObject({
      channel: h.channels.ops,
      reason: expect.stringContaining('Missing Permissions'),
    });
    expect(JSON.stringify(h.logs)).not.toContain('fake-bot-token');
  });
});
