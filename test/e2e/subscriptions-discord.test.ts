import { createPublisher, type Publisher } from '@tocsin/bus';
import type { DiscordMessage } from '@tocsin/chat-fakes';
import { ManualClock } from '@tocsin/runtime';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  BOB,
  drained,
  type Harness,
  ROOT,
  startHarness,
} from '../../services/notifier-discord/test/harness.ts';
import { type InProcessAlerter, publishClient, startAlerter } from '../support/alerter.ts';

/**
 * Per-user subscriptions with a cadence, made from Discord (`$subscribe`), through the real alerter (restarted, then
 * two replicas) and notifier-discord to the fake Discord, on one ManualClock: Alice follows chain sd-h hourly, Bob
 * chain sd-i immediately, Root the source cosmos-ibc daily.
 */
let env: TestEnv;
let clock: ManualClock;
let alerters: InProcessAlerter[] = [];
let h: Harness;
let publisher: Publisher;

const start = () =>
  startAlerter(env, clock, [], { defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 } });

beforeAll(async () => {
  env = await testEnv('subscriptions-discord');
  clock = new ManualClock(Date.parse('2026-03-24T10:00:00Z'));
  alerters = [await start()];
  h = await startHarness(env);
  publisher = createPublisher({ nc: h.nc, subjects: env.subjects, instance: 'e2e', now: () => clock.now() });
});
afterAll(async () => {
  await h?.stop();
  for (const a of alerters) await a.running.stop();
  await env.cleanup();
});

/** Every replica takes its events and ticks (they take turns on the lock). */
const settle = async () => {
  await h.nc.flush();
  await alerters[0]!.settle(h.nc, 1);
  for (const a of alerters.slice(1)) await a.handle.tick();
};
const until = async (iso: string) => {
  clock.advance(Date.parse(iso) - clock.now());
  for (const a of alerters) await a.handle.tick();
};
/** A client 1.5 h from expiry (critical), or updated (resolved). */
async function client(chain: string, clientId: string, expiring: boolean) {
  await publishClient(publisher, clock.now(), chain, expiring, clientId);
  await settle();
}
async function say(content: string, author = ALICE): Promise<DiscordMessage> {
  const sent = h.fake.dispatchMessageCreate({ channel_id: h.channels.alerts, content, author });
  return eventually(
    () => h.fake.messages(h.channels.alerts).find((m) => m.message_reference?.message_id === sent.id),
    15_000,
    `a reply to ${content}`,
  ) as Promise<DiscordMessage>;
}
const text = (m: DiscordMessage) => JSON.stringify(m.embeds);
const title = (m: DiscordMessage) => (m.embeds as { title?: string }[] | undefined)?.[0]?.title ?? '';
const description = (m: DiscordMessage) =>
  ((m.embeds as { description?: string }[])[0]?.description ?? '').split('\n');
const pinged = (m: DiscordMessage) => m.mentions.map((u) => u.id);
/** The alert and digest messages of the alerts channel (not command replies), once all is delivered. */
async function cards(): Promise<DiscordMessage[]> {
  for (const a of alerters) await a.handle.alerter.published();
  await drained(h);
  return h.fake.messages(h.channels.alerts).filter((m) => !m.message_reference && title(m));
}
const digests = async () => (await cards()).filter((m) => title(m).includes('digest'));

describe('per-user subscriptions with a cadence, from Discord', () => {
  it('$subscribe answers bad input with its usage, and good input without pinging anyone', async () => {
    const bad = await say('$subscribe sd-h weekly');
    expect(text(bad)).toContain('`cadence` must be immediate, hourly or daily');
    expect(text(bad)).toContain('Usage: `$subscribe <target> <cadence> [time] [timezone]`');
    const badTarget = await say('$subscribe <@200000000000000002> hourly');
    expect(text(badTarget)).toContain('`target` must be a chain id or a source');
    expect(pinged(badTarget)).toEqual([]);
    const unknownSource = await say('$subscribe source:nope daily');
    expect(text(unknownSource)).toContain('no rule watches the source nope');

    const ok = await say('$subscribe sd-h hourly');
    expect(title(ok)).toBe('Subscribed');
    expect(text(ok)).toContain('one digest an hour (UTC) of the alerts of chain `sd-h`');
    expect(ok.mention_everyone ?? false).toBe(false);
    expect(pinged(ok)).toEqual([]);
    expect(text(await say('$subscribe chain:sd-i immediate', BOB))).toContain(
      'tag you on each alert of chain',
    );
    expect(text(await say('$subscribe cosmos-ibc daily', ROOT))).toContain('alerts of source `cosmos-ibc`');
    const mine = await say('$subscriptions');
    expect(description(mine)).toEqual(['• chain `sd-h`: hourly']);
  });

  it('immediate: the subscriber is tagged on the alert; hourly: no tag, one digest at the end of the hour', async () => {
    await until('2026-03-24T10:10:00Z');
    await client('sd-h', '07-tendermint-0', true);
    await client('sd-i', '07-tendermint-0', true);
    await until('2026-03-24T10:40:00Z');
    await client('sd-h', '07-tendermint-0', false);
    await until('2026-03-24T10:50:00Z');
    await client('sd-h', '07-tendermint-1', true);
    // The first sd-h card was edited to RESOLVED.
    const firing = (await cards()).filter((m) => / on sd-/.test(title(m)));
    expect(firing.map(title)).toEqual([
      expect.stringMatching(/ on sd-h /),
      expect.stringMatching(/ on sd-i /),
      expect.stringMatching(/ on sd-h /),
    ]);
    expect(pinged(firing[1]!)).toContain(BOB.id);
    for (const m of firing) expect(pinged(m)).not.toContain(ALICE.id);
    for (const m of firing) expect(pinged(m)).not.toContain(ROOT.id);
    expect(await digests()).toEqual([]);

    await until('2026-03-24T10:59:58Z'); // settle moves the clock 1 s: 10:59:59
    await settle();
    expect(await digests()).toEqual([]);
    await until('2026-03-24T11:00:00Z');
    await settle();
    const [d] = await digests();
    expect((await digests()).map(title)).toEqual([
      expect.stringMatching(/Hourly digest 2026-03-24 10:00–11:00 UTC: 2 fired, 1 resolved, 1 still firing$/),
    ]);
    expect(pinged(d!)).toEqual([ALICE.id]);
    expect(description(d!)).toEqual([
      'Your subscriptions: chain sd-h',
      expect.stringMatching(/^• fired 10:10, resolved 10:40: .* on sd-h /),
      expect.stringMatching(/^• fired 10:50, still firing: .* on sd-h /),
    ]);
  });

  it('a restart mid-period, then two replicas: the next hour gets exactly one digest', async () => {
    await until('2026-03-24T11:30:00Z');
    await alerters[0]!.running.stop();
    alerters = [await start(), await start()];
    await settle();
    await until('2026-03-24T11:45:00Z');
    await settle();
    expect(await digests()).toHaveLength(1);
    await until('2026-03-24T12:00:00Z');
    await settle();
    await until('2026-03-24T12:00:30Z');
    await settle();
    expect((await digests()).map(title)).toEqual([
      expect.stringMatching(/10:00–11:00 UTC/),
      expect.stringMatching(/11:00–12:00 UTC: 0 fired, 0 resolved, 1 still firing$/),
    ]);
  });

  it('quiet hours send nothing; daily: one digest of the day for the source at UTC midnight', async () => {
    await until('2026-03-24T12:30:00Z');
    await client('sd-h', '07-tendermint-1', false);
    await until('2026-03-24T13:00:00Z');
    await settle();
    // Hours missed while nothing ran are caught up (here: all quiet, so recorded and not sent).
    await until('2026-03-25T00:00:00Z');
    await settle();
    const all = await digests();
    expect(all.map(title)).toEqual([
      expect.stringMatching(/10:00–11:00 UTC/),
      expect.stringMatching(/11:00–12:00 UTC/),
      expect.stringMatching(/12:00–13:00 UTC: 0 fired, 1 resolved, 0 still firing$/),
      expect.stringMatching(/^.* Daily digest 2026-03-24 \(UTC\): 3 fired, 2 resolved, 1 still firing$/),
    ]);
    expect(pinged(all[3]!)).toEqual([ROOT.id]);
    expect(description(all[3]!)).toEqual([
      'Your subscriptions: source cosmos-ibc',
      expect.stringMatching(/^• fired 10:10, resolved 10:40: .* on sd-h /),
      expect.stringMatching(/^• fired 10:10, still firing: .* on sd-i /),
      expect.stringMatching(/^• fired 10:50, resolved 12:30: .* on sd-h /),
    ]);
  });

  it('$unsubscribe stops the digests (and says so when there is nothing to remove)', async () => {
    expect(title(await say('$unsubscribe sd-h'))).toBe('Unsubscribed');
    expect(text(await say('$unsubscribe sd-h'))).toContain('You have no subscription to `sd-h`');
    await until('2026-03-25T00:10:00Z');
    await client('sd-h', '07-tendermint-2', true);
    await until('2026-03-25T01:00:00Z');
    await settle();
    expect(await digests()).toHaveLength(4);
    expect(text(await say('$subscriptions'))).toContain('You follow no chain or source');
  });
});
