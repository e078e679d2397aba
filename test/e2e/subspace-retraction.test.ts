import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { type FakeSlack, startFakeSlack } from '@tocsin/chat-fakes';
import type { Notification } from '@tocsin/events';
import { slackNotifier } from '@tocsin/notifier-slack';
import { type RunningService, startService } from '@tocsin/runtime';
import { collect, eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Harness as DiscordHarness,
  startHarness as startDiscord,
} from '../../services/notifier-discord/test/harness.ts';
import {
  CHATS,
  startHarness as startTelegram,
  type Harness as TelegramHarness,
} from '../../services/notifier-telegram/test/harness.ts';
import { hashes, type Stack, startStack } from '../../services/subspace-blocks/test/stack.ts';
import { type InProcessAlerter, startAlerter } from '../support/alerter.ts';

/**
 * A large transfer whose block leaves the best chain, end to end on one ManualClock: simulator → subspace-blocks
 * (`transfer`, then `retracted` after the reorg) → alerter (shipped default rules: the retraction ends the ORIGINAL
 * episode) → Discord, Slack and Telegram (the real notifiers on the fake chat APIs) edit the message they posted:
 * struck through, with the reason, and nothing posted anew in the channel.
 */
const SLACK_TOKEN = 'xoxb-subspace-retract-0000';
const SLACK_CHANNEL = 'C0RETRACT';

let s: Stack;
let alerter: InProcessAlerter;
let discord: DiscordHarness;
let telegram: TelegramHarness;
let fakeSlack: FakeSlack;
let slack: RunningService;
let dir: string;
let notifications: ReturnType<typeof collect<Notification>>;

beforeAll(async () => {
  s = await startStack('subspace-retract-e2e', {
    chain: { block_time_s: 0, finality_depth: 50 },
    accounts: [
      { name: 'alice', balance: 10_000_000 },
      { name: 'charlie', balance: 100 },
    ],
  });
  notifications = collect<Notification>(s.nc, s.env.subjects.alerts());
  // The clock moves in whole seconds while nothing is produced: no stall alerts in between.
  alerter = await startAlerter(s.env, s.clock, [{ id: 'subspace-stall', enabled: false }]);
  discord = await startDiscord(s.env);
  telegram = await startTelegram(
    'subspace-retract-e2e',
    {},
    { mentions: [] },
    { env: s.env, clock: s.clock },
  );
  dir = mkdtempSync(join(tmpdir(), 'tocsin-retract-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, SLACK_TOKEN);
  chmodSync(tokenFile, 0o600);
  fakeSlack = await startFakeSlack({ token: SLACK_TOKEN });
  fakeSlack.addChannel({ id: SLACK_CHANNEL, name: 'alerts' });
  slack = await startService(slackNotifier(), {
    argv: [],
    env: s.env.env,
    clock: s.clock,
    config: {
      ...s.env.config,
      slack: {
        token_file: tokenFile,
        api_url: fakeSlack.url,
        default_channel: SLACK_CHANNEL,
        rate: { burst: 100, per: '1s' },
      },
    },
  });
  await s.start();
  await s.until('the ingestor started', () => s.ofType('block').length >= 1);
});
afterAll(async () => {
  notifications?.stop();
  await slack?.stop();
  await fakeSlack?.close();
  await telegram?.close();
  await discord?.stop();
  await alerter?.running.stop();
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every event applied in the alerter (timers run past the priority wait) and every notification delivered. */
async function settle() {
  await alerter.settle(s.nc, 8);
  const jsm = await jetstreamManager(s.nc);
  for (const consumer of ['notifier-discord', 'notifier-slack', 'notifier-telegram'])
    await eventually(
      async () => {
        const info = await jsm.consumers.info(s.env.subjects.streams.alerts, consumer);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      30_000,
      `${consumer} to deliver every notification`,
    );
}

const embedOf = (m: { embeds: unknown[] }) => (m.embeds[0] ?? {}) as { title?: string; fields?: unknown[] };

type Block = { text?: { text: string }; fields?: { text: string }[]; elements?: { text?: unknown }[] };
const slackText = (blocks: unknown[] | undefined) =>
  ((blocks ?? []) as Block[])
    .flatMap((b) => [
      b.text?.text ?? '',
      ...(b.fields ?? []).map((f) => f.text),
      ...(b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : '')),
    ])
    .join('\n');

describe('a large transfer reorged out → the original chat messages are struck through', () => {
  it('Discord, Slack and Telegram edit the message of the original alert', async () => {
    const { sim } = s;
    const [base] = sim.produce(1);
    sim.apply({ transfer: { from: 'alice', to: 'charlie', amount: 1_200_000 } });
    const [gone] = sim.produce(1);
    await s.until('the transfer block checked', () => hashes(s.ofType('block')).includes(gone!.hash));
    await settle();
    const summary = 'Large transfer of 1200000 AI3';
    const card = await eventually(
      () => discord.messagesWith(discord.channels.alerts, summary)[0],
      30_000,
      'the Discord card',
    );
    const slackPost = await eventually(
      () => fakeSlack.messages(SLACK_CHANNEL).find((m) => slackText(m.blocks).includes(summary)),
      30_000,
      'the Slack message',
    );
    const tgPost = await eventually(
      () => telegram.fake.botMessages(CHATS.ops).find((m) => m.text.includes(summary)),
      30_000,
      'the Telegram message',
    );
    expect(embedOf(card!).title).not.toContain('~~');
    const before = {
      discord: discord.fake.messages(discord.channels.alerts).length,
      slack: fakeSlack.messages(SLACK_CHANNEL).filter((m) => !m.thread_ts || m.thread_ts === m.ts).length,
      telegram: telegram.fake.botMessages(CHATS.ops).length,
    };

    // A longer fork from the block before: the transfer's block leaves the best chain.
    const other = sim.fork('b', base!.hash, 3);
    sim.switchTo('b', { produce: false });
    await s.until('the new tip checked', () => hashes(s.ofType('block')).includes(other.at(-1)!.hash));
    const retracted = s.ofType('retracted');
    expect(retracted.map((e) => (e.data as { ref: { block: { hash: string } } }).ref.block.hash)).toContain(
      gone!.hash,
    );
    await settle();

    const reason = `retracted: block ${gone!.number} (${gone!.hash}) left the best chain`;
    // Discord: the same message, edited: struck through, grey, with the reason.
    const edited = await eventually(
      () => {
        const m = discord.fake.messages(discord.channels.alerts).find((x) => x.id === card!.id);
        return m && embedOf(m).title?.includes('~~') ? m : undefined;
      },
      30_000,
      'the Discord card edited',
    );
    expect(edited!.edited_timestamp).not.toBeNull();
    expect(embedOf(edited!).title).toContain(`~~${summary}`);
    expect(JSON.stringify(embedOf(edited!).fields)).toContain(reason);
    expect(discord.fake.messages(discord.channels.alerts)).toHaveLength(before.discord);

    // Slack: the original message edited (the thread may carry the news; the channel gets no new message).
    const slackEdited = await eventually(
      () => {
        const m = fakeSlack.messages(SLACK_CHANNEL).find((x) => x.ts === slackPost!.ts);
        return m?.edited ? m : undefined;
      },
      30_000,
      'the Slack message edited',
    );
    expect(slackText(slackEdited!.blocks)).toContain(`~${summary}`);
    expect(slackText(slackEdited!.blocks)).toContain(reason);
    expect(
      fakeSlack.messages(SLACK_CHANNEL).filter((m) => !m.thread_ts || m.thread_ts === m.ts),
    ).toHaveLength(before.slack);

    // Telegram: the original message edited with a strikethrough entity over the summary and the reason below.
    const tgEdited = await eventually(
      () => {
        const m = telegram.fake.botMessages(CHATS.ops).find((x) => x.message_id === tgPost!.message_id);
        return m?.edit_date ? m : undefined;
      },
      30_000,
      'the Telegram message edited',
    );
    expect(tgEdited!.sent!.text).toContain(`<s>${summary}`);
    expect(tgEdited!.entities?.some((e) => e.type === 'strikethrough')).toBe(true);
    expect(tgEdited!.text).toContain(reason);
    expect(telegram.fake.botMessages(CHATS.ops)).toHaveLength(before.telegram);

    // The alerter said it as a transition of the ORIGINAL alert (same fingerprint and episode), once.
    const about = notifications.items.filter((n) => n.alerts.some((a) => a.labels.block === gone!.hash));
    expect(about.map((n) => n.transition)).toEqual(['firing', 'retracted']);
    const [fired, withdrawn] = about.map((n) => n.alerts[0]!);
    expect(withdrawn).toMatchObject({
      rule_id: 'subspace-large-transfer',
      fingerprint: fired!.fingerprint,
      episode_id: fired!.episode_id,
      state: 'resolved',
      retracted: {
        reason: expect.stringContaining(`block ${gone!.number} (${gone!.hash}) left the best chain`),
      },
    });
  });
});
