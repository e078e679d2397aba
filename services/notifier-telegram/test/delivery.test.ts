import type { EventEnvelope } from '@tocsin/events';
import { createPool, type Pool } from '@tocsin/store';
import { collect, eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHATS, firing, type Harness, later, ONCALL, PAGER_TOPIC, pinged, startHarness } from './harness.ts';

let h: Harness;
let pool: Pool;

beforeAll(async () => {
  h = await startHarness('telegram-delivery');
  pool = createPool({ url: h.env.databaseUrl, schema: h.env.schema, max: 2 });
});
afterAll(async () => {
  await pool.end();
  await h.close();
});

async function delivery(key: string, channel: string) {
  const r = await pool.query<{ state: string; attempts: number; ref: string | null; reason: string | null }>(
    `SELECT state, attempts, ref, reason FROM notify_deliveries
     WHERE notifier = 'telegram' AND notification_key = $1 AND channel = $2`,
    [key, channel],
  );
  return r.rows[0];
}

const announcement = (chatId: number, episode: string, thread?: number) =>
  h.fake.botMessages(chatId, thread).find((m) => !m.reply_to_message && m.text.includes(episode));

describe('alerts to Telegram', () => {
  it('posts HTML with severity marker, links, buttons and mentions; repeat replies; resolve edits and replies', async () => {
    const n = firing(
      {},
      {
        mentions: ['telegram:1002', 'discord:99', 'slack:U0X'],
        labels: { rule: 'ibc-client-expiry-warning', address: 'cosmos1abc' },
        links: [{ title: 'runbook', url: 'https://example.org/runbook' }],
      },
    );
    const episode = n.alerts[0]!.episode_id;
    await h.publisher.publishNotification(n);
    const original = await eventually(() => announcement(CHATS.ops, episode), 20_000, 'the alert message');
    const sent = h.fake.requests({ method: 'sendMessage', chatId: CHATS.ops }).at(-1)!;
    expect(sent.params).toMatchObject({ parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
    expect(original!.text).toMatch(/^🟠 FIRING · warning · cosmos-ibc/);
    expect(original!.text).toContain(n.alerts[0]!.summary);
    // Configured on-call and the Telegram subscriber are pinged; other platforms' owners are not.
    expect(pinged(original!).sort()).toEqual([`id:${ONCALL}`, 'id:1002'].sort());
    const urls = (original!.entities ?? []).filter((e) => e.type === 'text_link').map((e) => e.url);
    expect(urls).toEqual([
      'https://example.org/runbook',
      'https://www.mintscan.io/cosmos/address/cosmos1abc',
      `https://grafana.example.org/d/tocsin?var-episode=${episode}`,
    ]);
    expect(original!.reply_markup?.inline_keyboard[0]?.map((b) => [b.text, b.callback_data])).toEqual([
      ['✋ Acknowledge', `ack:${episode}`],
      ['💤 Snooze 1 h', `s1:${episode}`],
      ['💤 Snooze 24 h', `s24:${episode}`],
    ]);
    await eventually(
      async () => (await delivery(n.key, String(CHATS.ops)))?.state === 'sent',
      20_000,
      'sent',
    );
    expect((await delivery(n.key, String(CHATS.ops)))?.ref).toBe(String(original!.message_id));

    await h.publisher.publishNotification(later(n, 'repeat'));
    const repeat = await eventually(
      () =>
        h.fake.botMessages(CHATS.ops).find((m) => m.reply_to_message?.message_id === original!.message_id),
      20_000,
      'the repeat reply',
    );
    expect(repeat!.text).toMatch(/^🟠 STILL FIRING/);
    expect(pinged(repeat!)).toContain('id:1002');

    await h.publisher.publishNotification(later(n, 'escalated', { escalated: true }));
    const escalated = await eventually(
      () =>
        h.fake
          .botMessages(CHATS.ops)
          .find(
            (m) => m.reply_to_message?.message_id === original!.message_id && m.text.includes('ESCALATED'),
          ),
      20_000,
      'the escalation reply',
    );
    expect(pinged(escalated!).sort()).toEqual([`id:${ONCALL}`, 'id:1002'].sort());

    const resolvedAt = new Date().toISOString();
    await h.publisher.publishNotification(
      later(n, 'resolved', { state: 'resolved', resolved_at: resolvedAt }),
    );
    await eventually(
      () =>
        h.fake.botMessages(CHATS.ops).filter((m) => m.reply_to_message?.message_id === original!.message_id)
          .length === 3,
      20_000,
      'the resolve reply',
    );
    const edited = h.fake.botMessages(CHATS.ops).find((m) => m.message_id === original!.message_id)!;
    expect(edited.text).toMatch(/^✅ RESOLVED/);
    expect(edited.edit_date).toBeDefined();
    expect(edited.reply_markup).toBeUndefined();
    // A resolved message pings no one any more.
    expect(pinged(edited)).toEqual([]);
    const reply = h.fake
      .botMessages(CHATS.ops)
      .filter((m) => m.reply_to_message?.message_id === original!.message_id)[2]!;
    expect(reply.text).toMatch(/^✅ RESOLVED/);
    expect(pinged(reply)).toEqual([]);
  });

  it('routes critical alerts to the forum topic as well, and acknowledged only edits', async () => {
    const n = firing({ severity: 'critical' }, { severity: 'critical' });
    const episode = n.alerts[0]!.episode_id;
    await h.publisher.publishNotification(n);
    const inTopic = await eventually(
      () => announcement(CHATS.ops, episode, PAGER_TOPIC),
      20_000,
      'the topic message',
    );
    await eventually(
      () => h.fake.botMessages(CHATS.ops).filter((m) => m.text.includes(episode)).length === 2,
      20_000,
      'both',
    );
    expect(inTopic!.text).toMatch(/^🔴 FIRING · critical/);
    const before = h.fake.botMessages(CHATS.ops).length;
    await h.publisher.publishNotification(
      later(n, 'acknowledged', { acknowledged: { by: 'telegram:1002', at: new Date().toISOString() } }),
    );
    await eventually(
      () =>
        h.fake
          .botMessages(CHATS.ops, PAGER_TOPIC)
          .find((m) => m.message_id === inTopic!.message_id)
          ?.text.includes('Acknowledged by'),
      20_000,
      'the acknowledged edit',
    );
    const edited = h.fake.botMessages(CHATS.ops).find((m) => m.message_id === inTopic!.message_id)!;
    expect(edited.text).toContain('✋ Acknowledged by telegram:1002');
    // Acknowledge no longer offered; silences still are.
    expect(edited.reply_markup?.inline_keyboard[0]?.map((b) => b.callback_data)).toEqual([
      `s1:${episode}`,
      `s24:${episode}`,
    ]);
    await eventually(
      async () =>
        (await delivery(later(n, 'acknowledged').key, `${CHATS.ops}/${PAGER_TOPIC}`))?.state === 'sent',
      20_000,
      'ack delivered',
    );
    expect(h.fake.botMessages(CHATS.ops)).toHaveLength(before);
  });

  it('escapes everything user-supplied: no tag, link or @mention can be injected', async () => {
    const evil = '<b>x</b> <a href="tg://user?id=666">boss</a> @everyone_here & "q"';
    const n = firing(
      {},
      { summary: evil, chain_id: '<i>c</i>', labels: { rule: 'r', note: '@somebody_else </code>' } },
    );
    await h.publisher.publishNotification(n);
    const m = await eventually(() => announcement(CHATS.ops, n.alerts[0]!.episode_id), 20_000, 'the message');
    expect(m!.text).toContain('<b>x</b> <a href="tg://user?id=666">boss</a> @\u2060everyone_here & "q"');
    expect(pinged(m!)).toEqual([`id:${ONCALL}`]);
  });

  it('waits out a 429 retry_after, retries a 500, and reports a permanent 403 (bot kicked) once', async () => {
    const failed = collect<EventEnvelope>(h.nc, h.env.subjects.event('system', 'delivery_failed'));
    h.fake.failNext({ method: 'sendMessage', chatId: CHATS.ops }, { status: 429, retryAfterS: 1 });
    const a = firing();
    await h.publisher.publishNotification(a);
    await eventually(
      async () => (await delivery(a.key, String(CHATS.ops)))?.state === 'sent',
      30_000,
      'after the 429',
    );
    const afterLimit = h.fake.requests({ method: 'sendMessage', chatId: CHATS.ops }).slice(-2);
    expect(afterLimit.map((r) => r.status)).toEqual([429, 200]);
    // Telegram's retry_after (1 s) was waited out before trying again (a lower bound: load only adds to it).
    expect(afterLimit[1]!.at - afterLimit[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(
      h.fake.botMessages(CHATS.ops).filter((m) => m.text.includes(a.alerts[0]!.episode_id)),
    ).toHaveLength(1);

    h.fake.failNext({ method: 'sendMessage', chatId: CHATS.ops }, { status: 500 });
    const b = firing();
    await h.publisher.publishNotification(b);
    await eventually(
      async () => (await delivery(b.key, String(CHATS.ops)))?.state === 'sent',
      60_000,
      'after the 500',
    );
    expect((await delivery(b.key, String(CHATS.ops)))!.attempts).toBe(2);
    expect(
      h.fake.botMessages(CHATS.ops).filter((m) => m.text.includes(b.alerts[0]!.episode_id)),
    ).toHaveLength(1);

    h.fake.kickBot(CHATS.gone);
    const c = firing({ source: 'gone' }, { source: 'gone' });
    await h.publisher.publishNotification(c);
    await eventually(
      async () => (await delivery(c.key, String(CHATS.gone)))?.state === 'failed',
      30_000,
      'failed',
    );
    expect((await delivery(c.key, String(CHATS.gone)))!.reason).toMatch(
      /bot was kicked from the supergroup chat/,
    );
    const [event] = await failed.waitFor(1, 20_000);
    expect(event!.data).toMatchObject({ notifier: 'telegram', channel: String(CHATS.gone), status: 403 });
    failed.stop();
  });
});
