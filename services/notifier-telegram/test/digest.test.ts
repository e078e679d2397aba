import { createPool, type Pool } from '@tocsin/store';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHATS, firing, type Harness, later, pinged, startHarness } from './harness.ts';

let h: Harness;
let pool: Pool;

beforeAll(async () => {
  // Telegram's default group pace (one message per 3 s = 20 a minute): a burst cannot go out one by one.
  h = await startHarness('telegram-digest', {}, { rate: { group: { burst: 1, per: '3s' } } });
  pool = createPool({ url: h.env.databaseUrl, schema: h.env.schema, max: 2 });
});
afterAll(async () => {
  await pool.end();
  await h.close();
});

it('a burst past the group pace becomes a digest: every alert once, none dropped, mentions kept; resolve edits it', async () => {
  const before = h.fake.botMessages(CHATS.ops).length;
  const burst = Array.from({ length: 12 }, (_, i) =>
    firing({}, i === 5 ? { mentions: ['telegram:1002'] } : {}),
  );
  await Promise.all(burst.map((n) => h.publisher.publishNotification(n)));
  await eventually(
    async () => {
      const r = await pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM notify_deliveries WHERE notifier = 'telegram' AND state = 'sent'",
      );
      return Number(r.rows[0]!.n) === 12;
    },
    60_000,
    'all twelve delivered',
  );
  const messages = h.fake.botMessages(CHATS.ops).slice(before);
  for (const n of burst) {
    expect(messages.filter((m) => m.text.includes(n.alerts[0]!.episode_id))).toHaveLength(1);
  }
  expect(messages.length).toBeLessThan(12);
  // Telegram's pace held: consecutive sends to the group at least ~3 s apart (by the fake's record, not a timer).
  const sends = h.fake.requests({ method: 'sendMessage', chatId: CHATS.ops }).slice(-messages.length);
  for (let i = 1; i < sends.length; i++) expect(sends[i]!.at - sends[i - 1]!.at).toBeGreaterThanOrEqual(2900);
  const digest = messages.find((m) => /^📋 \d+ updates/.test(m.text));
  expect(digest).toBeDefined();
  const withMention = messages.find((m) => m.text.includes(burst[5]!.alerts[0]!.episode_id))!;
  expect(pinged(withMention)).toContain('id:1002');

  const inDigest = burst.find((n) => digest!.text.includes(n.alerts[0]!.episode_id))!;
  await h.publisher.publishNotification(
    later(inDigest, 'resolved', { state: 'resolved', resolved_at: new Date().toISOString() }),
  );
  await eventually(
    () => h.fake.botMessages(CHATS.ops).some((m) => m.reply_to_message?.message_id === digest!.message_id),
    30_000,
    'the resolve reply under the digest',
  );
  const edited = h.fake.botMessages(CHATS.ops).find((m) => m.message_id === digest!.message_id)!;
  expect(edited.text).toContain(`✅ ${inDigest.alerts[0]!.summary}`);
});
