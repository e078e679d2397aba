import { jetstreamManager } from '@nats-io/jetstream';
import { callRpc } from '@tocsin/bus';
import type { TgMessage, TgUser } from '@tocsin/chat-fakes';
import type { CosmosIbcIngestor } from '@tocsin/cosmos-ibc';
import { alerterRpc } from '@tocsin/events';
import { ManualClock } from '@tocsin/runtime';
import type { CosmosSim } from '@tocsin/sim-cosmos';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  BOB,
  CHATS,
  type Harness,
  pinged,
  startHarness,
} from '../../services/notifier-telegram/test/harness.ts';
import { type InProcessAlerter, startAlerter } from '../support/alerter.ts';
import { HUB, type HubWatch, RELAYER, startHubWatch } from '../support/hubWatch.ts';

/**
 * The whole stack on one ManualClock, with Telegram at the end: CometBFT simulator → cosmos-ibc → alerter (shipped
 * default rules) → notifier-telegram (the real grammY) → the fake Bot API; commands and buttons reach the real
 * alerter and ingestor over NATS.
 */

let env: TestEnv;
let clock: ManualClock;
let hub: HubWatch;
let sim: CosmosSim;
let ingestor: CosmosIbcIngestor;
let alerter: InProcessAlerter;
let h: Harness;

beforeAll(async () => {
  env = await testEnv('telegram-e2e');
  clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  hub = await startHubWatch(env, clock);
  ({ sim, ingestor } = hub);
  alerter = await startAlerter(env, clock);
  h = await startHarness('telegram-e2e', {}, { mentions: [] }, { env, clock });
});
afterAll(async () => {
  await hub?.stop();
  await h?.close();
  await alerter?.running.stop();
  await env.cleanup();
});

/** Every published event applied in the alerter, its timers run, and every notification delivered. */
async function settle(rounds = 4) {
  await alerter.settle(h.nc, rounds);
  const jsm = await jetstreamManager(h.nc);
  await eventually(
    async () => {
      const info = await jsm.consumers.info(env.subjects.streams.alerts, 'notifier-telegram');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    30_000,
    'the notifier to deliver every notification',
  );
}

async function scan() {
  clock.advance(600_000);
  await ingestor.scanOnce();
  await h.nc.flush();
  await settle();
}

async function say(text: string, from: TgUser = ALICE): Promise<TgMessage> {
  const u = h.fake.sendUserMessage({ chatId: CHATS.ops, from, text });
  const id = u.message!.message_id;
  const reply = await eventually(
    () => h.fake.botMessages(CHATS.ops).find((m) => m.reply_to_message?.message_id === id),
    30_000,
    `a reply to ${text}`,
  );
  return reply!;
}

describe('simulator → cosmos-ibc → alerter → Telegram', () => {
  it('an IBC alert arrives with the inline keyboard; Acknowledge → the alerter records it and the message shows who', async () => {
    await scan();
    const alert = await eventually(
      () =>
        h.fake
          .botMessages(CHATS.ops)
          .find((m) => !m.reply_to_message && m.text.includes('IBC client 07-tendermint-0 on cosmoshub-4')),
      30_000,
      'the IBC alert',
    );
    const buttons = alert!.reply_markup!.inline_keyboard[0]!;
    expect(buttons.map((b) => b.text)).toEqual(['✋ Acknowledge', '💤 Snooze 1 h', '💤 Snooze 24 h']);
    const press = h.fake.pressButton({
      chatId: CHATS.ops,
      messageId: alert!.message_id,
      from: BOB,
      data: buttons[0]!.callback_data!,
    });
    expect(await press.answered).toMatchObject({ text: '✋ Acknowledged' });

    const episode = buttons[0]!.callback_data!.slice('ack:'.length);
    const { alerts } = alerterRpc.alerts.result.parse(
      await callRpc(h.nc, env.subjects.rpc('alerter', 'alerts'), { state: 'firing', limit: 50 }),
    );
    expect(alerts.find((a) => a.episode_id === episode)?.acknowledged?.by).toBe(`telegram:${BOB.id}`);
    await eventually(
      () =>
        h.fake
          .botMessages(CHATS.ops)
          .find((m) => m.message_id === alert!.message_id)
          ?.text.includes(`Acknowledged by Bob (telegram:${BOB.id})`),
      30_000,
      'the message to show who acknowledged',
    );
    // The alerter's own `acknowledged` transition edits the same message again: still one alert message.
    await settle();
    const tops = h.fake
      .botMessages(CHATS.ops)
      .filter((m) => !m.reply_to_message && m.text.includes('07-tendermint-0'));
    // One in the general chat, one in the pager topic (critical alerts go to both), none added by the ack.
    expect(tops.map((m) => m.message_thread_id ?? null).sort()).toEqual([7, null].sort());
  });

  it('/register → the balance drops below → a message mentions that user and names the wallet; /deregister stops it', async () => {
    const registered = await say(`/register ${RELAYER} ${HUB} 2`);
    expect(registered.text).toContain('falls below 2 ATOM');
    expect(registered.entities).toContainEqual(expect.objectContaining({ type: 'bold' }));
    const unknownChain = await say(`/register ${RELAYER} juno-1 2`);
    expect(unknownChain.text).toContain('Known chains: cosmoshub-4');
    await scan();
    sim.setBalance(HUB, RELAYER, 1_000_000);
    await scan();

    const alert = await eventually(
      () =>
        h.fake
          .botMessages(CHATS.ops)
          .find((m) => !m.reply_to_message && m.text.includes(RELAYER) && m.text.includes('below 2')),
      30_000,
      'the wallet alert',
    );
    expect(pinged(alert!)).toEqual([`id:${ALICE.id}`]);
    expect(alert!.text).toMatch(/^🟠 FIRING/);

    expect((await say(`/deregister ${RELAYER}`, BOB)).text).toContain('Only the user who registered');
    expect((await say(`/deregister ${RELAYER}`, ALICE)).text).toContain('1 registration removed');

    const { subscriptions } = alerterRpc.subscriptions.result.parse(
      await callRpc(h.nc, env.subjects.rpc('alerter', 'subscriptions'), { owner: `telegram:${ALICE.id}` }),
    );
    expect(subscriptions).toEqual([]);
    // The balance falls further: nothing tags Alice any more.
    const seen = h.fake.botMessages(CHATS.ops).length;
    sim.setBalance(HUB, RELAYER, 500_000);
    await scan();
    await scan();
    const after = h.fake.botMessages(CHATS.ops).slice(seen);
    for (const m of after) expect(pinged(m), m.text).not.toContain(`id:${ALICE.id}`);
  });
});
