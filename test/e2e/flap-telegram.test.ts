import { createPublisher, type Publisher } from '@tocsin/bus';
import type { TgMessage } from '@tocsin/chat-fakes';
import { ManualClock } from '@tocsin/runtime';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHATS, type Harness, startHarness } from '../../services/notifier-telegram/test/harness.ts';
import { type InProcessAlerter, publishClient, startAlerter } from '../support/alerter.ts';

/**
 * Flap suppression in Telegram: real alerter → real notifier-telegram → the fake Telegram, on one ManualClock. A
 * client that keeps expiring and being updated is one message, edited in place, with no replies while it flaps.
 */
const CHAIN = 'flap-3';
let env: TestEnv;
let clock: ManualClock;
let alerter: InProcessAlerter;
let h: Harness;
let publisher: Publisher;

beforeAll(async () => {
  env = await testEnv('flap-telegram');
  clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  alerter = await startAlerter(
    env,
    clock,
    [{ id: 'ibc-client-expiry-imminent', flap: { window: '10m', max_transitions: 2 } }],
    { defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 } },
  );
  h = await startHarness(
    'flap-telegram',
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

async function client(expiring: boolean) {
  clock.advance(60_000);
  await publishClient(publisher, clock.now(), CHAIN, expiring);
  await h.nc.flush();
  await alerter.settle(h.nc, 1);
  await alerter.handle.alerter.published();
}
const bot = () => h.fake.botMessages(CHATS.alice);
const top = () => bot().filter((m) => !m.reply_to_message);
const replies = () => bot().filter((m) => m.reply_to_message);
const textOf = (m: TgMessage | undefined) => m?.text ?? '';

it('a flapping alert is one Telegram message, edited as it flips, no replies; then a settled edit', async () => {
  await client(true);
  const first = await eventually(() => top()[0], 20_000, 'the firing message');
  await client(false);
  await eventually(() => replies().length === 1, 20_000, 'the resolve reply');
  const card = () => bot().find((m) => m.message_id === first!.message_id);
  for (let i = 3; i <= 8; i++) {
    await client(i % 2 === 1);
    await eventually(
      () => textOf(card()).includes(`flapping: ${i} changes in 10m`),
      20_000,
      `the edit after ${i}`,
    );
  }
  clock.advance(600_000);
  await alerter.settle(h.nc, 1);
  await alerter.handle.alerter.published();
  await eventually(
    () => textOf(card()).includes('settled resolved after flapping'),
    20_000,
    'the settled edit',
  );
  expect(top()).toHaveLength(1);
  expect(replies()).toHaveLength(1);
});
