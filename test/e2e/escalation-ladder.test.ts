import { jetstreamManager } from '@nats-io/jetstream';
import { createPublisher, type Publisher } from '@tocsin/bus';
import type { DiscordMessage } from '@tocsin/chat-fakes';
import { cosmosIbc } from '@tocsin/events';
import { ManualClock } from '@tocsin/runtime';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientStatus } from '../../services/alerter/test/fixtures.ts';
import {
  BOB,
  type Harness as Discord,
  drained,
  startHarness as startDiscord,
} from '../../services/notifier-discord/test/harness.ts';
import {
  CHATS,
  startHarness as startTelegram,
  type Harness as Telegram,
} from '../../services/notifier-telegram/test/harness.ts';
import { type InProcessAlerter, startAlerter } from '../support/alerter.ts';

/**
 * Issue #17 end to end on one ManualClock: events → alerter (an escalation policy) → notifier-discord and
 * notifier-telegram → the fake Discord and the fake Bot API. The ladder notifies step by step (the `notify_by:
 * telegram` step reaches Telegram only), stops at an acknowledgement clicked in Discord, and an acknowledgement and a
 * resolution in either order never re-open the alert.
 */
const MIN = 60_000;
let env: TestEnv;
let clock: ManualClock;
let alerter: InProcessAlerter;
let discord: Discord;
let telegram: Telegram;
let publisher: Publisher;

beforeAll(async () => {
  env = await testEnv('ladder-e2e');
  clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  discord = await startDiscord(env);
  telegram = await startTelegram('ladder-e2e', {}, { mentions: [] }, { env, clock });
  alerter = await startAlerter(
    env,
    clock,
    // One alert per client status (the 'expiring' warning would fire beside it).
    [{ id: 'ibc-client-expiring', enabled: false }],
    {
      defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 },
      escalation_policies: [
        {
          name: 'ibc-oncall',
          severity: 'critical',
          matchers: [{ name: 'rule', op: '=~', value: 'ibc-client-.*' }],
          steps: [
            { wait: '5m' },
            { notify: `role:${discord.roles.oncall}` },
            { wait: '10m' },
            { notify_by: 'telegram' },
          ],
        },
      ],
    },
  );
  publisher = createPublisher({
    nc: discord.nc,
    subjects: env.subjects,
    instance: 'test',
    now: () => clock.now(),
  });
});
afterAll(async () => {
  await telegram?.close();
  await discord?.stop();
  await alerter?.running.stop();
  await env.cleanup();
});

/** Both notifiers handled everything published so far. */
async function delivered(): Promise<void> {
  await drained(discord);
  const jsm = await jetstreamManager(discord.nc);
  await eventually(
    async () => {
      const info = await jsm.consumers.info(env.subjects.streams.alerts, 'notifier-telegram');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    15_000,
    'notifier-telegram to ack every notification',
  );
}
/** Events applied, then the clock moved on by `ms` and the alerter's timers run, then everything delivered. */
async function advance(ms: number): Promise<void> {
  await alerter.settle(discord.nc, 0);
  clock.advance(ms);
  await alerter.handle.tick();
  await alerter.handle.idle();
  await delivered();
}
const client = (chain: string, elapsed: number) =>
  publisher.publish(cosmosIbc.clientStatus, {
    chain_id: chain,
    dedup_key: `${chain}:${elapsed}:${clock.now()}`,
    data: clientStatus('07-tendermint-0', { trusting: 46_800, elapsed, height: 900 }),
    observed_at: new Date(clock.now()),
  });
/** 1.5 h of a 13 h trusting period left: critical. */
const critical = (chain: string) => client(chain, 41_400);
const recovered = (chain: string) => client(chain, 10);

const text = (m: DiscordMessage) => `${m.content} ${JSON.stringify(m.embeds)}`;
const inDiscord = (chain: string) =>
  discord.fake.messages(discord.channels.alerts).filter((m) => text(m).includes(chain));
const cardOf = (chain: string) => inDiscord(chain).find((m) => !m.message_reference)!;
/** Replies tagging on-call under the chain's cards (a client status can fire more than one rule). */
const escalationReplies = (chain: string) => {
  const cards = new Set(
    inDiscord(chain)
      .filter((m) => !m.message_reference)
      .map((m) => m.id),
  );
  return discord.fake
    .messages(discord.channels.alerts)
    .filter(
      (m) =>
        cards.has(m.message_reference?.message_id ?? '') && m.content.includes(`<@&${discord.roles.oncall}>`),
    );
};
const inTelegram = (chain: string) =>
  telegram.fake.botMessages(CHATS.ops).filter((m) => m.text.includes(chain));
const episodeOf = (m: DiscordMessage) =>
  (m.components as { components: { custom_id: string }[] }[])[0]!.components[0]!.custom_id;
async function ackInDiscord(chain: string): Promise<void> {
  const card = cardOf(chain);
  await discord.fake.dispatchInteraction({
    type: 'button',
    channelId: discord.channels.alerts,
    user: BOB,
    messageId: card.id,
    customId: episodeOf(card),
  }).response;
  await eventually(
    () =>
      text(discord.fake.messages(discord.channels.alerts).find((m) => m.id === card.id)!).includes(
        `<@${BOB.id}>`,
      ),
    15_000,
    'the card to show who acknowledged',
  );
}

describe('escalation ladder through Discord and Telegram', () => {
  it('notifies step by step: Discord tags on-call after 5 min, Telegram alone 10 min later', async () => {
    await critical('ladder-a');
    await advance(0);
    const escalations = () => inTelegram('ladder-a').filter((m) => /ESCALATED/.test(m.text));
    // One card in Discord; Telegram posts each notification to every destination its routes give (`copies`).
    await eventually(() => cardOf('ladder-a'), 15_000, 'the firing card in Discord');
    expect(inDiscord('ladder-a').filter((m) => !m.message_reference)).toHaveLength(1);
    const copies = (await eventually(
      () => inTelegram('ladder-a').length || null,
      15_000,
      'the firing message in Telegram',
    )) as number;
    await advance(4 * MIN);
    expect(escalationReplies('ladder-a')).toHaveLength(0);
    expect(escalations()).toHaveLength(0);
    await advance(MIN);
    await eventually(() => escalationReplies('ladder-a').length === 1, 15_000, 'the on-call tags in Discord');
    await eventually(() => escalations().length === copies, 15_000, 'step 1 in Telegram');
    const discordBefore = discord.fake.messages(discord.channels.alerts).length;
    await advance(9 * MIN);
    expect(escalations()).toHaveLength(copies);
    await advance(MIN);
    // notify_by telegram: Telegram says it, Discord skips it.
    await eventually(() => escalations().length === 2 * copies, 15_000, 'step 3 in Telegram');
    expect(discord.fake.messages(discord.channels.alerts)).toHaveLength(discordBefore);
    // The ladder ended (no repeat): nothing more within the hour (the repeat interval).
    await advance(40 * MIN);
    expect(escalations()).toHaveLength(2 * copies);
    expect(escalationReplies('ladder-a')).toHaveLength(1);
    await recovered('ladder-a');
    await advance(0);
  });

  it('stops at an acknowledgement clicked in Discord', async () => {
    await critical('ladder-b');
    await advance(0);
    await eventually(() => inDiscord('ladder-b').length > 0, 15_000, 'the firing card');
    await advance(2 * MIN);
    await ackInDiscord('ladder-b');
    const tg = inTelegram('ladder-b').length;
    await advance(5 * MIN);
    await advance(10 * MIN);
    await advance(30 * MIN);
    expect(escalationReplies('ladder-b')).toHaveLength(0);
    // Telegram heard of the acknowledgement at most (an edit), no escalation.
    expect(inTelegram('ladder-b').filter((m) => /ESCALATED/.test(m.text))).toHaveLength(0);
    expect(inTelegram('ladder-b').length).toBeLessThanOrEqual(tg + 1);
    await recovered('ladder-b');
    await advance(0);
  });

  it('ack then resolve, and resolve then ack: resolved, one card, never a new firing', async () => {
    await critical('ladder-c');
    await critical('ladder-d');
    await advance(0);
    await eventually(() => inDiscord('ladder-c').length && inDiscord('ladder-d').length, 15_000, 'the cards');
    const episodeD = (
      await alerter.running.ctx.pool.query(
        `SELECT episode_id FROM alerter_episodes WHERE chain_id = 'ladder-d'`,
      )
    ).rows[0]!.episode_id as string;
    await ackInDiscord('ladder-c');
    await recovered('ladder-c');
    await recovered('ladder-d');
    await advance(0);
    // Resolved first: its card has no buttons any more, and `$ack <id>` answers that it is resolved.
    expect(cardOf('ladder-d').components ?? []).toEqual([]);
    const sent = discord.fake.dispatchMessageCreate({
      channel_id: discord.channels.alerts,
      content: `$ack ${episodeD}`,
      author: BOB,
    });
    const answer = await eventually(
      () =>
        discord.fake
          .messages(discord.channels.alerts)
          .find((m) => m.message_reference?.message_id === sent.id),
      15_000,
      'the answer to $ack',
    );
    expect(text(answer!)).toMatch(/already resolved/);
    const states = await alerter.running.ctx.pool.query(
      `SELECT chain_id, state, acked_by FROM alerter_episodes WHERE chain_id IN ('ladder-c', 'ladder-d') ORDER BY chain_id`,
    );
    expect(states.rows).toEqual([
      { chain_id: 'ladder-c', state: 'resolved', acked_by: `discord:${BOB.id}` },
      { chain_id: 'ladder-d', state: 'resolved', acked_by: null },
    ]);
    await advance(60 * MIN);
    for (const chain of ['ladder-c', 'ladder-d']) {
      const cards = inDiscord(chain).filter((m) => !m.message_reference);
      expect(cards).toHaveLength(1);
      expect(JSON.stringify(cards[0]!.embeds)).toMatch(/RESOLVED/);
      expect(inDiscord(chain).filter((m) => /FIRING/.test(JSON.stringify(m.embeds)))).toHaveLength(0);
    }
  });
});
