import type { DiscordMessage } from '@tocsin/chat-fakes';
import type { CosmosIbcIngestor } from '@tocsin/cosmos-ibc';
import { ManualClock } from '@tocsin/runtime';
import type { CosmosSim } from '@tocsin/sim-cosmos';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  BOB,
  drained,
  type Harness,
  messagesShowing,
  startHarness,
} from '../../services/notifier-discord/test/harness.ts';
import { type InProcessAlerter, startAlerter } from '../support/alerter.ts';
import { HUB, type HubWatch, RELAYER, startHubWatch } from '../support/hubWatch.ts';

/**
 * The whole stack on one ManualClock: CometBFT simulator → cosmos-ibc → alerter (shipped default rules) →
 * notifier-discord → the fake Discord, with the commands and buttons talking to the real services over NATS.
 */

let env: TestEnv;
let clock: ManualClock;
let hub: HubWatch;
let sim: CosmosSim;
let ingestor: CosmosIbcIngestor;
let alerter: InProcessAlerter;
let h: Harness;

beforeAll(async () => {
  env = await testEnv('discord-e2e');
  clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  hub = await startHubWatch(env, clock);
  ({ sim, ingestor } = hub);
  alerter = await startAlerter(env, clock);
  h = await startHarness(env, ({ channels }) => ({ routes: [{ source: 'system', channel: channels.test }] }));
});
afterAll(async () => {
  await hub?.stop();
  await h?.stop();
  await alerter?.running.stop();
  await env.cleanup();
});

/** Applies every published event in the alerter and lets its timers run (priority waits of 2 s included). */
const settle = () => alerter.settle(h.nc);

async function scan() {
  clock.advance(600_000);
  await ingestor.scanOnce();
  await h.nc.flush();
  await settle();
}

async function say(content: string, user = ALICE): Promise<DiscordMessage> {
  const sent = h.fake.dispatchMessageCreate({ channel_id: h.channels.alerts, content, author: user });
  return eventually(
    () => h.fake.messages(h.channels.alerts).find((m) => m.message_reference?.message_id === sent.id),
    15_000,
    `a reply to ${content}`,
  ) as Promise<DiscordMessage>;
}

const text = (m: DiscordMessage) => JSON.stringify(m.embeds);

describe('simulator → cosmos-ibc → alerter → Discord', () => {
  it('announces the ingestor’s start in the test channel', async () => {
    await settle();
    const [notice] = await messagesShowing(h, h.channels.test, 'cosmos-ibc');
    expect(text(notice!)).toMatch(/NOTICE · cosmos-ibc .* started/);
    const embed = (
      notice!.embeds as { description?: string; fields?: { name: string; value: string }[] }[]
    )[0]!;
    // A notice is not an alert: no resolve, no duration; no empty sender fields (no display name configured).
    expect(embed.fields!.map((f) => f.name)).toEqual(['Chain', 'Severity', 'Started', 'service', 'instance']);
    // What it watches, one readable line per chain (not JSON).
    expect(embed.description).toMatch(
      /^Watching:\n• cosmoshub-4 at height \d+ via http:\/\/127\.0\.0\.1:\d+\S* — cosmoshub-4: clients of all open connections, 0 configured wallets, every 600 s$/,
    );
  });

  it('$data shows the scanned clients; an expiring client is alerted in the default channel', async () => {
    await scan();
    const data = await say('$data');
    expect(text(data)).toContain('cosmoshub-4 · 07-tendermint-0 → osmosis-1');
    await messagesShowing(h, h.channels.alerts, 'IBC client 07-tendermint-0 on cosmoshub-4');
  });

  it('$register → balance below the threshold → an alert tagging that user; ack by button; $deregister', async () => {
    expect(text(await say(`$register ${RELAYER} ${HUB} 2`))).toContain('falls below **2 ATOM**');
    expect(text(await say(`$register ${RELAYER} juno-1 2`))).toContain('Known chains: `cosmoshub-4`');
    await scan();
    sim.setBalance(HUB, RELAYER, 1_000_000);
    await scan();

    const alert = await eventually(() =>
      h.fake
        .messages(h.channels.alerts)
        .find((m) => m.content === `<@${ALICE.id}>` && text(m).includes(RELAYER)),
    );
    expect(alert!.embeds).toMatchObject([{ title: expect.stringMatching(/^🟠 FIRING · /) }]);
    // Two balances 10 minutes apart, falling: a burn rate, so a time to empty. (The wallet also alerts as projected
    // to run empty, tagging the same user: the threshold's message is the one that names who set it.)
    const description = (m: DiscordMessage) => (m.embeds as { description?: string }[])[0]?.description ?? '';
    const below = await eventually(
      () => h.fake.messages(h.channels.alerts).find((m) => description(m).startsWith('Threshold set by')),
      15_000,
      'the below-threshold alert',
    );
    expect(description(below!)).toMatch(
      new RegExp(
        `^Threshold set by discord:${ALICE.id}\\. At the current burn rate it runs empty in \\d+[smhd]( \\d+[smhd])?\\.$`,
      ),
    );
    // The message is in the fake before the notifier stored its card; a click in between would find no card.
    await drained(h);

    const episode = (alert!.components as { components: { custom_id: string }[] }[])[0]!.components[0]!
      .custom_id;
    await h.fake.dispatchInteraction({
      type: 'button',
      channelId: h.channels.alerts,
      user: BOB,
      messageId: alert!.id,
      customId: episode,
    }).response;
    await eventually(() =>
      text(h.fake.messages(h.channels.alerts).find((m) => m.id === alert!.id)!).includes(`<@${BOB.id}>`),
    );

    expect(text(await say(`$deregister ${RELAYER}`, BOB))).toContain('Only the user who registered');
    expect(text(await say(`$deregister ${RELAYER}`, ALICE))).toContain('1 registration removed');
    expect(text(await say(`$deregister ${RELAYER}`, ALICE))).toContain('There is no registration of');
  });
});
