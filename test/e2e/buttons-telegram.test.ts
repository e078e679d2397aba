import { callRpc, type Publisher } from '@tocsin/bus';
import type { TgMessage } from '@tocsin/chat-fakes';
import { type Alert, alerterRpc, cosmosIbc } from '@tocsin/events';
import { ManualClock } from '@tocsin/runtime';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientStatus } from '../../services/alerter/test/fixtures.ts';
import {
  ALICE,
  BOB,
  CAROL,
  CHATS,
  type Harness,
  startHarness,
} from '../../services/notifier-telegram/test/harness.ts';
import type { InProcessAlerter } from '../support/alerter.ts';
import { FROZEN_REPORT_RULE, reportFrozen, startReportAlerter } from '../support/frozenReport.ts';

/**
 * The alert buttons in Telegram end to end: the real alerter (shipped rules plus a notice-like one) → the real
 * notifier-telegram (grammY) → the fake Bot API; each press is a callback query that reaches the real alerter over
 * NATS (its state in PostgreSQL), and the message is edited to show who did what.
 */
const CHAIN = 'btn-tg';

let env: TestEnv;
let clock: ManualClock;
let alerter: InProcessAlerter;
let h: Harness;
let publisher: Publisher;

beforeAll(async () => {
  env = await testEnv('buttons-telegram');
  clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  alerter = await startReportAlerter(env, clock);
  h = await startHarness('buttons-telegram', {}, { mentions: [] }, { env, clock });
  publisher = await reportFrozen(h.nc, env, clock, alerter, CHAIN);
});
afterAll(async () => {
  await h?.close();
  await alerter?.running.stop();
  await env?.cleanup();
});

const rpc = async (method: keyof typeof alerterRpc, body: unknown) =>
  callRpc(h.nc, env.subjects.rpc('alerter', method), body);
const alertOf = async (episode: string): Promise<Alert> =>
  alerterRpc.alert.result.parse(await rpc('alert', { id: episode })).alert;
const general = () => h.fake.botMessages(CHATS.ops).filter((m) => !m.message_thread_id);
const find = (text: string) =>
  eventually(() => general().find((m) => !m.reply_to_message && m.text.includes(text)), 20_000, text);
const now = (m: TgMessage) => general().find((x) => x.message_id === m.message_id)!;
const buttons = (m: TgMessage) => (m.reply_markup?.inline_keyboard ?? []).map((r) => r.map((b) => b.text));
const press = (m: TgMessage, from: typeof ALICE, data: string) =>
  h.fake.pressButton({ chatId: CHATS.ops, messageId: m.message_id, from, data }).answered;

describe('alert buttons in Telegram → the alerter', () => {
  it('Acknowledge, Snooze and Resolve each change the alerter’s state and edit the message; members cannot resolve', async () => {
    const m = (await find('Report: client 07-tendermint-5'))!;
    expect(buttons(m)).toEqual([['✋ Acknowledge', '💤 Snooze 1 h', '💤 Snooze 24 h'], ['✅ Resolve']]);
    const episode = m.reply_markup!.inline_keyboard[0]![0]!.callback_data!.slice('ack:'.length);

    // A member may acknowledge, not resolve: an alert popup, nothing changes.
    expect(await press(m, BOB, `rs:${episode}`)).toMatchObject({
      show_alert: true,
      text: expect.stringContaining(
        'Only the chat’s admins (or users listed in telegram.admins) may resolve',
      ),
    });
    expect((await alertOf(episode)).state).toBe('firing');
    expect(await press(m, BOB, `ack:${episode}`)).toMatchObject({ text: '✋ Acknowledged' });
    expect((await alertOf(episode)).acknowledged?.by).toBe(`telegram:${BOB.id}`);
    await eventually(() => now(m).text.includes('Acknowledged by Bob'), 20_000, 'the acknowledged edit');

    // Snooze 1 h: a silence of the alert's labels, in the alerter.
    expect(await press(m, ALICE, `s1:${episode}`)).toMatchObject({
      text: expect.stringContaining('Silenced for 1 h'),
    });
    const snoozed = await alertOf(episode);
    expect(snoozed.silenced_by).toHaveLength(1);
    const { silences } = alerterRpc.silences.result.parse(await rpc('silences', { active: true }));
    const silence = silences.find((s) => s.id === snoozed.silenced_by[0])!;
    expect(silence.matchers).toContainEqual({ name: 'rule', op: '=', value: FROZEN_REPORT_RULE.id });
    expect(Date.parse(silence.ends_at) - clock.now()).toBe(3_600_000);
    await eventually(() => /🔕 Silenced until .* by Alice/.test(now(m).text), 20_000, 'the snoozed edit');

    // Resolve by an admin: resolved in the alerter, the message says who, and its buttons are gone.
    expect(await press(m, ALICE, `rs:${episode}`)).toMatchObject({ text: '✅ Resolved', show_alert: false });
    const resolved = await alertOf(episode);
    expect(resolved.state).toBe('resolved');
    expect(resolved.acknowledged?.by).toBe(`telegram:${BOB.id}`);
    await eventually(() => now(m).text.includes('✅ Resolved by Alice'), 20_000, 'the resolved edit');
    expect(now(m).reply_markup).toBeUndefined();
    // Resolve then the alerter's own resolved transition: still resolved, never re-opened.
    await alerter.settle(h.nc, 2);
    // A later ack (it was acknowledged before) is a no-op on the resolved alert.
    expect(await alerter.handle.alerter.ack({ by: 'telegram:1', episode_id: episode })).toMatchObject({
      state: 'resolved',
      acknowledged: { by: `telegram:${BOB.id}` },
    });
    const open = alerterRpc.alerts.result.parse(
      await rpc('alerts', { state: 'firing', rule_id: FROZEN_REPORT_RULE.id }),
    );
    expect(open.alerts).toEqual([]);
  });

  it('two admins press Resolve at once: resolved once, the other is told; an alert that resolves itself has no Resolve', async () => {
    await publisher.publish(cosmosIbc.clientStatus, {
      chain_id: CHAIN,
      dedup_key: `${CHAIN}:frozen-6`,
      data: clientStatus('07-tendermint-6', { elapsed: 10, status: 'Frozen' }),
      observed_at: new Date(clock.now()),
    });
    await h.nc.flush();
    await alerter.settle(h.nc, 1);
    const m = (await find('Report: client 07-tendermint-6'))!;
    const episode = m.reply_markup!.inline_keyboard[0]![0]!.callback_data!.slice('ack:'.length);
    const answers = await Promise.all([press(m, ALICE, `rs:${episode}`), press(m, CAROL, `rs:${episode}`)]);
    const texts = answers.map((a) => a.text ?? '');
    expect(texts.filter((t) => t === '✅ Resolved')).toHaveLength(1);
    expect(texts.find((t) => t !== '✅ Resolved')).toMatch(
      /^Already resolved\.$|^Not resolved: alert .* is already resolved/,
    );
    expect((await alertOf(episode)).state).toBe('resolved');
    const eps = await alerter.handle.alerter.alerts({ rule_id: FROZEN_REPORT_RULE.id, limit: 50 });
    expect(eps.filter((a) => a.labels.report === '07-tendermint-6')).toHaveLength(1);

    // The shipped ibc-client-frozen alert resolves when the client is no longer frozen: no Resolve button.
    const frozen = (await find('IBC client 07-tendermint-5 on btn-tg is frozen'))!;
    expect(buttons(frozen).flat()).toEqual(['✋ Acknowledge', '💤 Snooze 1 h', '💤 Snooze 24 h']);
  });
});
