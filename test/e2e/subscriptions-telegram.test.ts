import { createPublisher, type Publisher } from '@tocsin/bus';
import type { TgMessage } from '@tocsin/chat-fakes';
import { ManualClock } from '@tocsin/runtime';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  CHATS,
  type Harness,
  pinged,
  startHarness,
} from '../../services/notifier-telegram/test/harness.ts';
import { type InProcessAlerter, publishClient, startAlerter } from '../support/alerter.ts';

/**
 * Per-user subscriptions with a cadence, made with `/subscribe` in Telegram, through the real alerter and
 * notifier-telegram (both restarted mid-period) to the fake Telegram Bot API, on one ManualClock: Alice follows chain
 * st-h hourly and chain st-d daily at 09:00 Asia/Singapore (01:00 UTC), in her private chat with the bot.
 */
let env: TestEnv;
let clock: ManualClock;
let alerter: InProcessAlerter;
let h: Harness;
let publisher: Publisher;

const start = () =>
  startAlerter(env, clock, [], { defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 } });

beforeAll(async () => {
  env = await testEnv('subscriptions-telegram');
  clock = new ManualClock(Date.parse('2026-05-04T22:00:00Z'));
  alerter = await start();
  h = await startHarness(
    'subscriptions-telegram',
    {},
    { mentions: [], chats: [{ chat_id: CHATS.alice }] },
    { env, clock },
  );
  publisher = createPublisher({ nc: h.nc, subjects: env.subjects, instance: 'e2e', now: () => clock.now() });
});
afterAll(async () => {
  await h?.close();
  await alerter?.running.stop();
  await env?.cleanup();
});

async function say(text: string): Promise<string> {
  const u = h.fake.sendUserMessage({ chatId: CHATS.alice, from: ALICE, text });
  const id = u.message!.message_id;
  const reply = await eventually(
    () => h.fake.botMessages(CHATS.alice).find((m) => m.reply_to_message?.message_id === id),
    20_000,
    `the reply to "${text}"`,
  );
  return reply!.text;
}
const until = async (iso: string) => {
  clock.advance(Date.parse(iso) - clock.now());
  await alerter.handle.tick();
  await alerter.handle.alerter.published();
};
async function client(chain: string, expiring: boolean) {
  await publishClient(publisher, clock.now(), chain, expiring);
  await h.nc.flush();
  await alerter.settle(h.nc, 1);
  await alerter.handle.alerter.published();
}
const digests = (): TgMessage[] =>
  h.fake.botMessages(CHATS.alice).filter((m) => !m.reply_to_message && / digest /.test(m.text));
const digestCount = (n: number) =>
  eventually(() => digests().length === n, 20_000, `${n} digests`).then(() =>
    expect(digests()).toHaveLength(n),
  );

describe('per-user subscriptions with a cadence, from Telegram', () => {
  it('/subscribe: a bad zone gets the usage naming it; good ones say when the digest comes', async () => {
    expect(await say('/subscribe st-d daily 09:00 Asia/Nowhere')).toContain(
      'timezone must be an IANA time zone like Europe/Zurich, got Asia/Nowhere',
    );
    expect(await say('/subscribe st-h hourly')).toContain('one digest an hour (UTC)');
    expect(await say('/subscribe st-d daily 09:00 Asia/Singapore')).toContain(
      'one digest a day at 09:00 Asia/Singapore',
    );
    expect(await say('/subscriptions')).toMatch(
      /chain st-h.*: hourly[\s\S]*chain st-d.*: daily at 09:00 Asia\/Singapore/,
    );
  });

  it('the hourly digest once, across a restart of the alerter and of the notifier; the daily one at 09:00 local', async () => {
    await until('2026-05-04T22:10:00Z');
    await client('st-h', true);
    await client('st-d', true);
    await until('2026-05-04T22:30:00Z');
    await alerter.running.stop();
    await h.restart();
    alerter = await start();
    await until('2026-05-04T22:59:00Z');
    await until('2026-05-04T23:00:00Z');
    await digestCount(1);
    expect(digests()[0]!.text).toMatch(
      /Hourly digest 2026-05-04 22:00–23:00 UTC: 1 fired, 0 resolved, 1 still firing/,
    );
    expect(pinged(digests()[0]!)).toEqual([`id:${ALICE.id}`]);
    await client('st-h', false);
    await until('2026-05-05T00:00:00Z');
    await digestCount(2);
    expect(digests()[1]!.text).toMatch(
      /Hourly digest 2026-05-04 23:00–00:00 UTC: 0 fired, 1 resolved, 0 still firing/,
    );
    await until('2026-05-05T00:59:00Z');
    await digestCount(2);
    // 09:00 in Singapore; the quiet hour 00:00–01:00 sends nothing.
    await until('2026-05-05T01:00:00Z');
    await digestCount(3);
    const daily = digests()[2]!;
    expect(daily.text).toMatch(
      /Daily digest 2026-05-04 09:00 – 2026-05-05 09:00 \(Asia\/Singapore\): 1 fired, 0 resolved, 1 still firing/,
    );
    expect(pinged(daily)).toEqual([`id:${ALICE.id}`]);
    // Fired 22:10 UTC = 06:10 in Singapore.
    expect(daily!.text).toContain('fired 06:10, still firing');
  });
});
