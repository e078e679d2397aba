import { callRpc, type Publisher } from '@tocsin/bus';
import type { DiscordMessage, InteractionResponse, UserSpec } from '@tocsin/chat-fakes';
import { type Alert, alerterRpc } from '@tocsin/events';
import { ManualClock } from '@tocsin/runtime';
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
import type { InProcessAlerter } from '../support/alerter.ts';
import { FROZEN_REPORT_RULE, reportFrozen, startReportAlerter } from '../support/frozenReport.ts';

/**
 * The alert buttons in Discord end to end: the real alerter (shipped rules plus a notice-like one) → the real
 * notifier-discord (discord.js) → the fake Discord; each click reaches the real alerter over NATS, the message is
 * edited to show who did what, and problems are ephemeral replies to the clicker.
 */
const CHAIN = 'btn-dc';

let env: TestEnv;
let clock: ManualClock;
let alerter: InProcessAlerter;
let h: Harness;
let _publisher: Publisher;

beforeAll(async () => {
  env = await testEnv('buttons-discord');
  clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  alerter = await startReportAlerter(env, clock);
  h = await startHarness(env, ({ channels }) => ({ routes: [{ source: 'system', channel: channels.test }] }));
  _publisher = await reportFrozen(h.nc, env, clock, alerter, CHAIN);
  await drained(h);
});
afterAll(async () => {
  await h?.stop();
  await alerter?.running.stop();
  await env?.cleanup();
});

const alertOf = async (episode: string): Promise<Alert> =>
  alerterRpc.alert.result.parse(await callRpc(h.nc, env.subjects.rpc('alerter', 'alert'), { id: episode }))
    .alert;
const current = (m: DiscordMessage) => h.fake.messages(h.channels.alerts).find((x) => x.id === m.id)!;
const labels = (m: DiscordMessage) =>
  (m.components as { components: { label: string; custom_id: string }[] }[]).flatMap((r) =>
    r.components.map((c) => c.label),
  );
const customId = (m: DiscordMessage, label: string) =>
  (m.components as { components: { label: string; custom_id: string }[] }[])
    .flatMap((r) => r.components)
    .find((c) => c.label === label)!.custom_id;
const click = (m: DiscordMessage, id: string, user: UserSpec, admin = false): Promise<InteractionResponse> =>
  h.fake.dispatchInteraction({
    type: 'button',
    channelId: h.channels.alerts,
    user,
    member: { roles: admin ? [h.roles.admin] : [] },
    messageId: m.id,
    customId: id,
  }).response;
/** The ephemeral reply the clicker gets (a follow-up only they see). */
const told = (text: string) =>
  eventually(
    () =>
      h.fake
        .messages(h.channels.alerts)
        .find((x) => (x.flags & 64) === 64 && (x.content ?? '').includes(text)),
    20_000,
    `an ephemeral "${text}"`,
  );

describe('alert buttons in Discord → the alerter', () => {
  it('Acknowledge, Snooze and Resolve change the alerter’s state and edit the message; a non-admin’s Resolve is refused', async () => {
    const [m] = await messagesShowing(h, h.channels.alerts, 'Report: client 07-tendermint-5');
    expect(labels(m!)).toEqual(['Acknowledge', 'Snooze 1 h', 'Snooze 24 h', 'Resolve']);
    const episode = customId(m!, 'Acknowledge').slice('ack:'.length);

    expect((await click(m!, customId(m!, 'Resolve'), ALICE)).type).toBe(6);
    await told('Not resolved: only an admin can resolve an alert by hand');
    expect((await alertOf(episode)).state).toBe('firing');

    await click(m!, customId(m!, 'Acknowledge'), BOB);
    await eventually(async () => (await alertOf(episode)).acknowledged?.by === `discord:${BOB.id}`);
    await eventually(() => JSON.stringify(current(m!).embeds).includes('"name":"Acknowledged"'));

    await click(m!, customId(m!, 'Snooze 1 h'), ALICE);
    await told('Silenced for 1 h');
    const snoozed = await alertOf(episode);
    expect(snoozed.silenced_by).toHaveLength(1);
    await eventually(() => JSON.stringify(current(m!).embeds).includes('🔕 until'));

    await click(m!, customId(m!, 'Resolve'), ALICE, true);
    await eventually(async () => (await alertOf(episode)).state === 'resolved');
    const edited = await eventually(() => {
      const now = current(m!);
      return JSON.stringify(now.embeds).includes('"name":"Resolved by"') ? now : null;
    });
    expect(JSON.stringify(edited!.embeds)).toContain(`<@${ALICE.id}>`);
    expect(edited!.components).toEqual([]);
    expect((await alertOf(episode)).acknowledged?.by).toBe(`discord:${BOB.id}`);
    // Resolved by hand, then an ack: refused as for any resolution, never re-opened.
    await alerter.settle(h.nc, 2);
    const again = await callRpc(h.nc, env.subjects.rpc('alerter', 'resolve'), {
      by: `discord:${ALICE.id}`,
      is_admin: true,
      episode_id: episode,
    }).catch((e: Error) => e.message);
    expect(again).toMatch(/already resolved/);
    expect(
      await alerter.handle.alerter.alerts({ state: 'firing', rule_id: FROZEN_REPORT_RULE.id, limit: 50 }),
    ).toEqual([]);
  });

  it('an alert that resolves on its own has no Resolve, and a forged one is refused; a bad button is told so', async () => {
    const [m] = await messagesShowing(h, h.channels.alerts, 'IBC client 07-tendermint-5 on btn-dc is frozen');
    expect(labels(m!)).toEqual(['Acknowledge', 'Snooze 1 h', 'Snooze 24 h']);
    const episode = customId(m!, 'Acknowledge').slice('ack:'.length);
    await click(m!, `rs:${episode}`, ALICE, true);
    await told('resolves on its own when its condition clears');
    expect((await alertOf(episode)).state).toBe('firing');
    expect((await click(m!, 'rs:not-an-episode', ALICE)).data).toMatchObject({
      content: 'This button is no longer valid.',
      flags: 64,
    });
  });
});
