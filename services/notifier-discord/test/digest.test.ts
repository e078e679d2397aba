import { newId } from '@tocsin/events';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alertOf, notificationOf, resolvedOf } from './fixtures.ts';
import { drained, type Harness, startHarness } from './harness.ts';

let env: TestEnv;
let h: Harness;

beforeAll(async () => {
  env = await testEnv('discord-digest');
  // Two messages per 400 ms: the channel's real rate is about 5 per 5 s; small here so the test is quick.
  // No guild_id: slash commands are registered globally.
  h = await startHarness(env, { rate: { burst: 2, per: '400ms' }, concurrency: 64, guild_id: undefined });
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});

it('coalesces a burst over the channel rate into a digest, dropping nothing, and edits it on resolve', async () => {
  const tag = `burst ${newId()}`;
  const alerts = Array.from({ length: 30 }, (_, i) => alertOf({ summary: `${tag} #${i}` }));
  const notifications = alerts.map((a) => notificationOf({}, [a]));
  await Promise.all(notifications.map((n) => h.publish(n)));
  await drained(h);

  const messages = h.messagesWith(h.channels.alerts, tag);
  const shown = new Set(
    messages.flatMap((m) =>
      (m.embeds as { title?: string; fields?: { name: string }[] }[]).flatMap((e) => [
        e.title ?? '',
        ...(e.fields ?? []).map((f) => f.name),
      ]),
    ),
  );
  for (const a of alerts) expect([...shown].some((t) => t.endsWith(a.summary))).toBe(true);
  expect(messages.length).toBeLessThan(10);
  const digest = messages.find((m) => (m.embeds as { title?: string }[])[0]?.title?.startsWith('📋'))!;
  expect(digest).toBeDefined();

  const { rows } = await h.running.ctx.pool.query<{ state: string; ref: string }>(
    'SELECT state, ref FROM notify_deliveries WHERE notification_key = ANY($1)',
    [notifications.map((n) => n.key)],
  );
  expect(rows).toHaveLength(30);
  expect(rows.every((r) => r.state === 'sent')).toBe(true);
  expect(new Set(rows.map((r) => r.ref)).size).toBe(messages.length);

  // An alert that went out in the digest: its resolve edits the digest message.
  const inDigest = alerts.find((a) => JSON.stringify(digest.embeds).includes(`${a.summary}"`))!;
  await h.publish(notificationOf({ transition: 'resolved' }, [resolvedOf(inDigest)]));
  await eventually(() => {
    const now = h.fake.messages(h.channels.alerts).find((m) => m.id === digest.id)!;
    return JSON.stringify(now.embeds).includes(`✅ RESOLVED · ${inDigest.summary}`);
  });
});

it('registers slash commands globally when no guild_id is configured', () => {
  expect(h.fake.commands(h.guild.id)).toEqual([]);
  expect(h.fake.commands().map((c) => c.name)).toContain('register');
});
