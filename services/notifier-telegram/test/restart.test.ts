import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHATS, firing, type Harness, later, startHarness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('telegram-restart');
});
afterAll(async () => h.close());

it('a resolve after a restart edits the original message and replies to it (the link is in PostgreSQL)', async () => {
  const n = firing();
  const episode = n.alerts[0]!.episode_id;
  await h.publisher.publishNotification(n);
  const original = await eventually(
    () => h.fake.botMessages(CHATS.ops).find((m) => !m.reply_to_message && m.text.includes(episode)),
    20_000,
    'the alert message',
  );
  await h.restart();
  await h.publisher.publishNotification(
    later(n, 'resolved', { state: 'resolved', resolved_at: new Date().toISOString() }),
  );
  const reply = await eventually(
    () => h.fake.botMessages(CHATS.ops).find((m) => m.reply_to_message?.message_id === original!.message_id),
    20_000,
    'the resolve reply',
  );
  expect(reply!.text).toMatch(/^✅ RESOLVED/);
  const edited = h.fake.botMessages(CHATS.ops).find((m) => m.message_id === original!.message_id)!;
  expect(edited.text).toMatch(/^✅ RESOLVED/);
  expect(edited.text).toContain(episode);
  expect(edited.reply_markup).toBeUndefined();
  expect(
    h.fake.botMessages(CHATS.ops).filter((m) => m.text.includes(episode) && !m.reply_to_message),
  ).toHaveLength(1);
});
