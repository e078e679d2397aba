import { createPublisher, type Publisher } from '@tocsin/bus';
import type { DiscordMessage } from '@tocsin/chat-fakes';
import { ManualClock } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drained, type Harness, startHarness } from '../../services/notifier-discord/test/harness.ts';
import { type InProcessAlerter, publishClient, startAlerter } from '../support/alerter.ts';

/**
 * Flap suppression through the real alerter and notifier-discord to the fake Discord, on one ManualClock: an IBC
 * client that keeps expiring and being updated (rule `flap: { window: 10m, max_transitions: 2 }`) is one message,
 * edited as it flips, until it has been stable for 10 minutes; then a last edit tells the state it settled in.
 */
let env: TestEnv;
let clock: ManualClock;
let alerter: InProcessAlerter;
let h: Harness;
let publisher: Publisher;
const CHAIN = 'flap-1';

beforeAll(async () => {
  env = await testEnv('flap-discord');
  clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  alerter = await startAlerter(
    env,
    clock,
    [{ id: 'ibc-client-expiry-imminent', flap: { window: '10m', max_transitions: 2 } }],
    { defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 } },
  );
  h = await startHarness(env);
  publisher = createPublisher({ nc: h.nc, subjects: env.subjects, instance: 'e2e', now: () => clock.now() });
});
afterAll(async () => {
  await h?.stop();
  await alerter?.running.stop();
  await env.cleanup();
});

/** A client 1.5 h from expiry (critical), or just updated (resolved); then the alerter applies it and ticks. */
async function client(expiring: boolean) {
  clock.advance(60_000);
  await publishClient(publisher, clock.now(), CHAIN, expiring);
  await h.nc.flush();
  await alerter.settle(h.nc, 1);
  await alerter.handle.alerter.published();
  await drained(h);
}
const text = (m: DiscordMessage) => JSON.stringify(m.embeds);
const title = (m: DiscordMessage) => (m.embeds as { title?: string }[] | undefined)?.[0]?.title ?? '';
const all = () => h.fake.messages(h.channels.alerts);
/** Alert cards (not replies). */
const cards = () => all().filter((m) => !m.message_reference && title(m));
const posts = () =>
  h.fake.requests().filter((r) => r.method === 'POST' && r.path === `/channels/${h.channels.alerts}/messages`)
    .length;

describe('a flapping alert in Discord', () => {
  it('fires and resolves normally up to max_transitions: one card, its resolve a reply', async () => {
    await client(true);
    expect(cards().map(title)).toEqual([expect.stringMatching(/^🔴 FIRING · .* on flap-1 /)]);
    await client(false);
    expect(cards()).toHaveLength(1);
    expect(text(cards()[0]!)).not.toContain('flapping');
    expect(all().filter((m) => m.message_reference)).toHaveLength(1);
  });

  it('then flips are edits of that one card, not new messages, and the card says it is flapping', async () => {
    const card = cards()[0]!;
    const postsBefore = posts();
    const messagesBefore = all().length;
    for (let i = 3; i <= 9; i++) {
      await client(i % 2 === 1);
      expect(cards()).toHaveLength(1);
      const now = all().find((m) => m.id === card.id)!;
      expect(text(now)).toContain(
        `flapping: ${i} changes in 10m — held until stable for 10m (now ${i % 2 === 1 ? 'firing' : 'resolved'})`,
      );
    }
    // Seven flips: no post at all (no new card, no reply), only edits of the first card.
    expect(posts()).toBe(postsBefore);
    expect(all()).toHaveLength(messagesBefore);
    const edits = h.fake
      .requests()
      .filter((r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${card.id}`));
    expect(edits.length).toBeGreaterThanOrEqual(7);
  });

  it('stable for the window: a last edit says the state it settled in; its resolve is said again', async () => {
    const card = cards()[0]!;
    const postsBefore = posts();
    // The last flip (the 9th) fired; nothing changes for 10 minutes.
    clock.advance(9 * 60_000);
    await alerter.settle(h.nc, 1);
    expect(text(all().find((m) => m.id === card.id)!)).toContain('flapping');
    clock.advance(60_000);
    await alerter.settle(h.nc, 1);
    await alerter.handle.alerter.published();
    await drained(h);
    const settled = all().find((m) => m.id === card.id)!;
    expect(text(settled)).toContain('settled firing after flapping (stable for 10m)');
    expect(posts()).toBe(postsBefore);

    // Settled firing: the open episode counts as announced, so its resolve is said (a new message: the card is
    // another episode's), and the change history starts afresh (no flapping note on it).
    await client(false);
    expect(posts()).toBe(postsBefore + 1);
    const resolved = all().at(-1)!;
    expect(title(resolved)).toMatch(/^✅ RESOLVED · /);
    expect(text(resolved)).not.toContain('flapping');
  });
});
