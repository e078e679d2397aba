import { rmSync } from 'node:fs';
import { callRpc, type Publisher } from '@tocsin/bus';
import {
  blockActionsPayload,
  type FakeSlack,
  interactionFormBody,
  signSlackRequest,
  startFakeSlack,
} from '@tocsin/chat-fakes';
import { type Alert, alerterRpc } from '@tocsin/events';
import { ManualClock, type RunningService } from '@tocsin/runtime';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHANNELS,
  fakeChannels,
  SIGNING_SECRET,
  secretFiles,
  slackSection,
  startSlackNotifier,
} from '../../services/notifier-slack/test/harness.ts';
import type { InProcessAlerter } from '../support/alerter.ts';
import { FROZEN_REPORT_RULE, reportFrozen, startReportAlerter } from '../support/frozenReport.ts';

/**
 * The alert buttons in Slack end to end: the real alerter (shipped rules plus a notice-like one) → the real
 * notifier-slack (@slack/web-api, signed interactions) → the fake Slack; each click is a signed block_actions POST
 * that reaches the real alerter over NATS; the message is updated (chat.update) to show who did what, and refusals
 * are ephemeral messages to the clicker.
 */
const CHAIN = 'btn-sl';
const ADMIN = 'U0ADMIN';
const MEMBER = 'U0ALICE';

let env: TestEnv;
let clock: ManualClock;
let alerter: InProcessAlerter;
let fake: FakeSlack;
let files: ReturnType<typeof secretFiles>;
let slack: RunningService;
let _publisher: Publisher;
let nc: Awaited<ReturnType<TestEnv['nats']>>;

beforeAll(async () => {
  env = await testEnv('buttons-slack');
  clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  alerter = await startReportAlerter(env, clock);
  fake = await startFakeSlack({ token: 'xoxb-test-token-0000' });
  fakeChannels(fake);
  files = secretFiles();
  slack = await startSlackNotifier(env, clock, fake, files, slackSection(fake, files));
  nc = await env.nats();
  _publisher = await reportFrozen(nc, env, clock, alerter, CHAIN);
});
afterAll(async () => {
  await slack?.stop();
  await alerter?.running.stop();
  await fake?.close();
  await env?.cleanup();
  if (files) rmSync(files.dir, { recursive: true, force: true });
});

type Button = { action_id: string; value: string; text: { text: string } };
type Block = { type: string; text?: { text: string }; elements?: (Button & { text: unknown })[] };
const texts = (blocks: unknown[] | undefined) => JSON.stringify(blocks ?? []);
const buttonsOf = (blocks: unknown[] | undefined): Button[] =>
  ((blocks ?? []) as Block[]).find((b) => b.type === 'actions')?.elements ?? [];
const message = (text: string) =>
  eventually(
    () => fake.messages(CHANNELS.alerts).find((m) => texts(m.blocks).includes(text)),
    20_000,
    `a Slack message showing "${text}"`,
  );
const current = (ts: string) => fake.messages(CHANNELS.alerts).find((m) => m.ts === ts)!;
const alertOf = async (episode: string): Promise<Alert> =>
  alerterRpc.alert.result.parse(await callRpc(nc, env.subjects.rpc('alerter', 'alert'), { id: episode }))
    .alert;

/** A click as Slack sends it: a signed block_actions POST to the notifier. */
async function click(ts: string, b: { action_id: string; value: string }, user: string) {
  const body = interactionFormBody(
    blockActionsPayload({
      actionId: b.action_id,
      value: b.value,
      user: { id: user, username: user.toLowerCase() },
      channel: { id: CHANNELS.alerts },
      message: { ts },
    }),
  );
  const res = await slack.ctx.http.inject({
    method: 'POST',
    url: '/slack/interactions',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...signSlackRequest({ signingSecret: SIGNING_SECRET, body, timestamp: Math.floor(clock.now() / 1000) }),
    },
    payload: body,
  });
  expect(res.statusCode).toBe(200);
}
const toldTo = (user: string, text: string) =>
  eventually(
    () => fake.ephemerals().find((e) => e.user === user && e.text.includes(text)),
    20_000,
    `an ephemeral "${text}" to ${user}`,
  );

describe('alert buttons in Slack → the alerter', () => {
  it('Acknowledge, Snooze and Resolve change the alerter’s state and update the message; a member’s Resolve is refused', async () => {
    const m = (await message('Report: client 07-tendermint-5'))!;
    const buttons = buttonsOf(m.blocks);
    expect(buttons.map((b) => b.text.text)).toEqual(['Acknowledge', 'Snooze 1h', 'Snooze 24h', 'Resolve']);
    const [ack, snooze, , resolve] = buttons;
    const episode = (JSON.parse(resolve!.value) as { e: string[] }).e[0]!;

    await click(m.ts, resolve!, MEMBER);
    await toldTo(MEMBER, 'Could not resolve: only an admin can resolve an alert by hand');
    expect((await alertOf(episode)).state).toBe('firing');

    await click(m.ts, ack!, MEMBER);
    await eventually(async () => (await alertOf(episode)).acknowledged?.by === `slack:${MEMBER}`);
    await click(m.ts, snooze!, ADMIN);
    await eventually(async () => (await alertOf(episode)).silenced_by.length === 1);
    const snoozed = await eventually(
      () => (texts(current(m.ts).blocks).includes('🔕 Silenced by') ? current(m.ts) : null),
      20_000,
      'the snoozed update',
    );
    // Snoozed: Resolve is still there (a snooze does not end what only a person can end).
    expect(buttonsOf(snoozed!.blocks).map((b) => b.action_id)).toEqual([resolve!.action_id]);

    await click(m.ts, buttonsOf(snoozed!.blocks)[0]!, ADMIN);
    await eventually(async () => (await alertOf(episode)).state === 'resolved');
    const updated = await eventually(
      () => (texts(current(m.ts).blocks).includes(`✅ Resolved by <@${ADMIN}>`) ? current(m.ts) : null),
      20_000,
      'the resolved update',
    );
    expect(buttonsOf(updated!.blocks)).toEqual([]);
    expect((await alertOf(episode)).acknowledged?.by).toBe(`slack:${MEMBER}`);
    await alerter.settle(nc, 2);
    expect(
      await alerter.handle.alerter.alerts({ state: 'firing', rule_id: FROZEN_REPORT_RULE.id, limit: 50 }),
    ).toEqual([]);
  });

  it('an alert that resolves on its own has no Resolve, and a forged one is refused; a tampered value is told so', async () => {
    const m = (await message('IBC client 07-tendermint-5 on btn-sl is frozen'))!;
    const buttons = buttonsOf(m.blocks);
    expect(buttons.map((b) => b.text.text)).toEqual(['Acknowledge', 'Snooze 1h', 'Snooze 24h']);
    const episode = (JSON.parse(buttons[0]!.value) as { e: string[] }).e[0]!;
    await click(m.ts, { action_id: 'tocsin_resolve', value: JSON.stringify({ e: [episode] }) }, ADMIN);
    await toldTo(ADMIN, 'resolves on its own when its condition clears');
    expect((await alertOf(episode)).state).toBe('firing');
    await click(m.ts, { action_id: 'tocsin_resolve', value: '{"e":[]}' }, ADMIN);
    await toldTo(ADMIN, 'This button is no longer valid.');
  });
});
