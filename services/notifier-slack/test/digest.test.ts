import { createPool, type Pool } from '@tocsin/store';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHANNELS, firing, type Harness, later, startHarness } from './harness.ts';

let h: Harness;
let pool: Pool;

beforeAll(async () => {
  // Two messages per 400 ms: a burst of twelve cannot go out one by one.
  h = await startHarness('slack-digest', {}, { rate: { burst: 2, per: '400ms' } });
  pool = createPool({ url: h.env.databaseUrl, schema: h.env.schema, max: 2 });
});
afterAll(async () => {
  await pool.end();
  await h.close();
});

it('a burst past the channel rate is coalesced into a digest: every alert once, none dropped, links kept', async () => {
  const burst = Array.from({ length: 12 }, () => firing());
  await Promise.all(burst.map((n) => h.publisher.publishNotification(n)));
  await eventually(
    async () => {
      const r = await pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM notify_deliveries WHERE notifier = 'slack' AND state = 'sent'",
      );
      return Number(r.rows[0]!.n) === 12;
    },
    30_000,
    'all twelve delivered',
  );

  const messages = h.fake.messages(CHANNELS.alerts);
  // Each alert is in exactly one message.
  for (const n of burst) {
    const episode = n.alerts[0]!.episode_id;
    expect(messages.filter((m) => JSON.stringify(m.blocks).includes(episode))).toHaveLength(1);
  }
  expect(messages.length).toBeLessThan(12);
  const digest = messages.find((m) => JSON.stringify(m.blocks?.[0]).includes('notifications at once'));
  expect(digest).toBeDefined();

  // An alert that went out in the digest: its resolve replies in the digest's thread and edits the digest.
  const inDigest = burst.find((n) => JSON.stringify(digest!.blocks).includes(n.alerts[0]!.episode_id))!;
  await h.publisher.publishNotification(
    later(inDigest, 'resolved', { state: 'resolved', resolved_at: new Date().toISOString() }),
  );
  await eventually(
    () => h.fake.thread(CHANNELS.alerts, digest!.ts).length === 1,
    30_000,
    'the resolve reply',
  );
  const edited = h.fake.messages(CHANNELS.alerts).find((m) => m.ts === digest!.ts)!;
  expect(JSON.stringify(edited.blocks)).toContain(`✅ *${inDigest.alerts[0]!.summary}*`);
});
