import { createPublisher, type Publisher } from '@tocsin/bus';
import type { DiscordMessage } from '@tocsin/chat-fakes';
import { ManualClock } from '@tocsin/runtime';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, drained, type Harness, startHarness } from '../../services/notifier-discord/test/harness.ts';
import { type InProcessAlerter, publishClient, startAlerter } from '../support/alerter.ts';

/**
 * A recurring maintenance window made from Discord (`$maintenance`), through the real alerter and notifier-discord
 * to the fake Discord, on one ManualClock across Europe/Zurich's switch to summer time (Sunday 29 March 2026):
 * Tuesdays 14:00–15:00 local is 13:00–14:00Z on 24 March and 12:00–13:00Z on 31 March.
 */
let env: TestEnv;
let clock: ManualClock;
let alerter: InProcessAlerter;
let h: Harness;
let publisher: Publisher;

beforeAll(async () => {
  env = await testEnv('maintenance-discord');
  clock = new ManualClock(Date.parse('2026-03-24T12:00:00Z'));
  alerter = await startAlerter(env, clock, [], {
    defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 },
  });
  h = await startHarness(env);
  publisher = createPublisher({ nc: h.nc, subjects: env.subjects, instance: 'e2e', now: () => clock.now() });
});
afterAll(async () => {
  await h?.stop();
  await alerter?.running.stop();
  await env.cleanup();
});

const settle = async () => {
  await h.nc.flush();
  await alerter.settle(h.nc, 1);
};
const until = async (iso: string) => {
  clock.advance(Date.parse(iso) - clock.now());
  await alerter.handle.tick();
};
/** A client 1.5 h from expiry (critical), or updated (resolved). */
async function client(chain: string, expiring: boolean) {
  await publishClient(publisher, clock.now(), chain, expiring);
}
async function say(content: string): Promise<DiscordMessage> {
  const sent = h.fake.dispatchMessageCreate({ channel_id: h.channels.alerts, content, author: ALICE });
  return eventually(
    () => h.fake.messages(h.channels.alerts).find((m) => m.message_reference?.message_id === sent.id),
    15_000,
    `a reply to ${content}`,
  ) as Promise<DiscordMessage>;
}
const text = (m: DiscordMessage) => JSON.stringify(m.embeds);
const title = (m: DiscordMessage) => (m.embeds as { title?: string }[] | undefined)?.[0]?.title ?? '';
/** The alert and summary messages of the alerts channel (not command replies). */
const cards = () => h.fake.messages(h.channels.alerts).filter((m) => !m.message_reference && title(m));
/** Their titles, once everything published has been delivered. */
async function posted(): Promise<string[]> {
  await alerter.handle.alerter.published();
  await drained(h);
  return cards().map(title);
}

describe('a recurring maintenance window from Discord', () => {
  let id = '';

  it('$maintenance with bad input answers with its usage; a good one creates the window, no mention', async () => {
    const bad = await say('$maintenance tue Europe/Zurich chain_id=~mw-.*');
    expect(text(bad)).toContain('A weekly window needs days and a time range');
    expect(text(bad)).toContain('Usage: `$maintenance <spec>`');
    const ok = await say(
      '$maintenance tuesdays 14:00-15:00 Europe/Zurich chain_id=~mw-.* -- node upgrades @everyone',
    );
    expect(text(ok)).toContain('recorded, not notified: Tuesdays 14:00–15:00 Europe/Zurich');
    expect(ok.mention_everyone ?? false).toBe(false);
    expect(ok.mentions ?? []).toEqual([]);
    id = /id `([^`]+)`/.exec(text(ok))![1]!;
    expect(text(await say('$maintenance list'))).toContain('next 2026-03-24');
  });

  it('mutes the occurrence on 24 March (CET), then posts one summary and what still fires', async () => {
    await until('2026-03-24T12:30:00Z'); // 13:30 local: before
    await client('mw-a', true);
    await settle();
    expect(await posted()).toEqual([expect.stringMatching(/^🔴 FIRING · .* on mw-a /)]);

    await until('2026-03-24T13:10:00Z'); // 14:10 local: inside
    await client('mw-b', true);
    await client('mw-c', true);
    await settle();
    await client('mw-c', false);
    await settle();
    expect(await posted()).toHaveLength(1);

    await until('2026-03-24T14:00:00Z'); // 15:00 local: the window ends
    await settle();
    // Held back: mw-b and mw-c, which began inside, and mw-a's escalation (due at 13:00Z, 30 min after it fired).
    expect(await posted()).toEqual([
      expect.stringMatching(/^🔴 FIRING · .* on mw-a /),
      // The reason is the user's text: the renderer breaks the mention.
      expect.stringMatching(
        /^🔴 NOTICE · 3 alerts during maintenance "node upgrades @\u200deveryone", 2 still firing$/,
      ),
      expect.stringMatching(/^🔴 FIRING · .* on mw-b /),
    ]);
    const summary = cards()[1]!;
    expect(summary.mention_everyone ?? false).toBe(false);
    expect((summary.embeds as { description: string }[])[0]!.description.split('\n')).toEqual([
      expect.stringMatching(/^• firing: .* on mw-a /),
      expect.stringMatching(/^• firing: .* on mw-b /),
      expect.stringMatching(/^• resolved: .* on mw-c /),
    ]);
    for (const c of ['mw-a', 'mw-b']) await client(c, false);
    await settle();
  });

  it('a week later (CEST) it mutes 12:00–13:00Z, not 13:00–14:00Z', async () => {
    const before = (await posted()).length;
    await until('2026-03-31T12:10:00Z'); // 14:10 CEST: inside
    await client('mw-d', true);
    await settle();
    expect(await posted()).toHaveLength(before);
    await until('2026-03-31T13:10:00Z'); // 15:10 CEST: outside (it would be inside in CET)
    await settle();
    await client('mw-e', true);
    await settle();
    expect((await posted()).slice(before)).toEqual([
      expect.stringMatching(/^🔴 NOTICE · 1 alert during maintenance ".*", 1 still firing$/),
      expect.stringMatching(/^🔴 FIRING · .* on mw-d /),
      expect.stringMatching(/^🔴 FIRING · .* on mw-e /),
    ]);
  });

  it('$maintenance end stops later occurrences', async () => {
    expect(text(await say(`$maintenance end ${id}`))).toContain('is no longer in maintenance');
    expect(text(await say('$maintenance list'))).toContain('No maintenance windows');
  });
});
