import { rmSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import { createPublisher, type Publisher } from '@tocsin/bus';
import {
  type FakeSlack,
  type SlackMessage,
  signSlackRequest,
  slashCommandBody,
  startFakeSlack,
} from '@tocsin/chat-fakes';
import { ManualClock, type RunningService } from '@tocsin/runtime';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SIGNING_SECRET,
  secretFiles,
  startSlackNotifier,
  TOKEN,
} from '../../services/notifier-slack/test/harness.ts';
import { type InProcessAlerter, publishClient, startAlerter } from '../support/alerter.ts';

/**
 * Per-user subscriptions with a cadence, made with `/tocsin subscribe` in Slack (signed slash commands), through the
 * real alerter (restarted mid-period) and notifier-slack to the fake Slack, all on one ManualClock (the fake stamps
 * each message with it, so `ts` says when it was posted). Alice follows chain ss-h hourly; Bob chain ss-z daily at
 * 09:00 Europe/Zurich, across both DST changes of 2026 (29 March, 25 October).
 */
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const CHANNEL = 'C0ALERTS';

let env: TestEnv;
let clock: ManualClock;
let fake: FakeSlack;
let files: ReturnType<typeof secretFiles>;
let alerter: InProcessAlerter;
let slack: RunningService;
let nc: NatsConnection;
let publisher: Publisher;

const start = () =>
  startAlerter(env, clock, [], { defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 } });

beforeAll(async () => {
  env = await testEnv('subscriptions-slack');
  clock = new ManualClock(Date.parse('2026-03-26T10:00:00Z'));
  fake = await startFakeSlack({ token: TOKEN, clock: () => clock.now() });
  fake.addChannel({ id: CHANNEL, name: 'alerts' });
  files = secretFiles();
  alerter = await start();
  slack = await startSlackNotifier(env, clock, fake, files, {
    default_channel: CHANNEL,
    rate: { burst: 1000, per: '1s' },
  });
  nc = await env.nats();
  publisher = createPublisher({ nc, subjects: env.subjects, instance: 'e2e', now: () => clock.now() });
});
afterAll(async () => {
  await slack?.stop();
  await alerter?.running.stop();
  await fake?.close();
  await env?.cleanup();
  if (files) rmSync(files.dir, { recursive: true, force: true });
});

/** `/tocsin <text>` as Slack sends it (signed), answered within Slack's 3 s: the reply as text. */
async function command(text: string, user = ALICE): Promise<string> {
  const body = slashCommandBody({ command: '/tocsin', text, user: { id: user }, channel: { id: CHANNEL } });
  const res = await slack.ctx.http.inject({
    method: 'POST',
    url: '/slack/commands',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...signSlackRequest({ signingSecret: SIGNING_SECRET, body, timestamp: Math.floor(clock.now() / 1000) }),
    },
    payload: body,
  });
  expect(res.statusCode).toBe(200);
  return res.body;
}
const until = async (iso: string) => {
  clock.advance(Date.parse(iso) - clock.now());
  await alerter.handle.tick();
  await alerter.handle.alerter.published();
};
async function client(chain: string, clientId: string, expiring: boolean) {
  await publishClient(publisher, clock.now(), chain, expiring, clientId);
  await nc.flush();
  await alerter.settle(nc, 1);
  await alerter.handle.alerter.published();
}
const shown = (m: SlackMessage) => `${m.text} ${JSON.stringify(m.blocks ?? [])}`;
const digests = () => fake.messages(CHANNEL).filter((m) => / digest /.test(m.text));
/** Each digest as `<when it was posted, UTC> <its text>`. */
const posted = () =>
  digests().map((m) => `${new Date(Number(m.ts.split('.')[0]) * 1000).toISOString().slice(0, 16)} ${m.text}`);
/** Waits until exactly `n` digests are in the channel (a later exact count catches any extra). */
const digestCount = (n: number) =>
  eventually(() => digests().length === n, 20_000, `${n} digests`).then(() =>
    expect(digests()).toHaveLength(n),
  );

describe('per-user subscriptions with a cadence, from Slack', () => {
  it('/tocsin subscribe: a bad time or zone gets the usage naming it, never a live mention; $subscriptions shows the time', async () => {
    const badTime = await command('subscribe ss-z daily 25:00 Europe/Zurich', BOB);
    expect(badTime).toContain('`time` must be a time of day like 09:00, got `25:00`');
    expect(badTime).toContain('Usage:');
    const badZone = await command('subscribe ss-z daily 09:00 <@U0ALICE>', BOB);
    expect(badZone).toContain('`timezone` must be an IANA time zone like Europe/Zurich');
    // Shown as text (escaped), never a live mention.
    expect(badZone).toContain('got `&lt;@U0ALICE&gt;`');
    expect(badZone).not.toContain('<@U0ALICE>');
    expect(await command('subscribe ss-h hourly 09:00', ALICE)).toContain('for `daily` digests only');

    expect(await command('subscribe ss-h hourly', ALICE)).toContain('one digest an hour (UTC)');
    expect(await command('subscribe ss-z daily 09:00 Europe/Zurich', BOB)).toContain(
      'one digest a day at 09:00 Europe/Zurich',
    );
    expect(await command('subscriptions', BOB)).toContain('daily at 09:00 Europe/Zurich');
    expect(await command('subscriptions', ALICE)).toContain('hourly');
  });

  it('hourly: one digest at the end of the hour, tagging the subscriber; a restart mid-hour sends the next once', async () => {
    await until('2026-03-26T10:10:00Z');
    await client('ss-h', '07-tendermint-0', true);
    await until('2026-03-26T10:40:00Z');
    await client('ss-h', '07-tendermint-0', false);
    await until('2026-03-26T11:00:00Z');
    await digestCount(1);
    const [d] = digests();
    expect(d!.text).toMatch(/Hourly digest 2026-03-26 10:00–11:00 UTC: 1 fired, 1 resolved, 0 still firing/);
    expect(shown(d!)).toContain(`<@${ALICE}>`);
    expect(shown(d!)).not.toContain(`<@${BOB}>`);
    expect(shown(d!)).toContain('fired 10:10, resolved 10:40');

    await client('ss-h', '07-tendermint-1', true);
    await until('2026-03-26T11:30:00Z');
    await alerter.running.stop();
    alerter = await start();
    await until('2026-03-26T11:59:00Z');
    await until('2026-03-26T12:00:00Z');
    await until('2026-03-26T12:00:30Z');
    await digestCount(2);
    expect(digests()[1]!.text).toMatch(/11:00–12:00 UTC: 1 fired, 0 resolved, 1 still firing/);
    await client('ss-h', '07-tendermint-1', false);
    expect(await command('unsubscribe ss-h', ALICE)).toContain('Unsubscribed');
  });

  it('daily 09:00 Europe/Zurich across the March change: once per local day, at 09:00 local (08:00, then 07:00 UTC)', async () => {
    await until('2026-03-27T10:00:00Z');
    await client('ss-z', '07-tendermint-0', true);
    for (const [at, n] of [
      ['2026-03-28T07:59:00Z', 2],
      ['2026-03-28T08:00:00Z', 3],
      ['2026-03-29T06:59:00Z', 3], // 07:59 CET → 08:59 CEST: the clocks went forward at 02:00
      ['2026-03-29T07:00:00Z', 4],
      ['2026-03-29T08:00:00Z', 4], // 09:00 by the winter clock: no second digest
      ['2026-03-30T07:00:00Z', 5],
    ] as const) {
      await until(at);
      await digestCount(n);
    }
    const daily = posted().slice(2);
    expect(daily).toEqual([
      expect.stringMatching(
        /^2026-03-28T08:00 .*Daily digest 2026-03-27 09:00 – 2026-03-28 09:00 \(Europe\/Zurich\): 1 fired, 0 resolved, 1 still firing/,
      ),
      expect.stringMatching(
        /^2026-03-29T07:00 .*Daily digest 2026-03-28 09:00 – 2026-03-29 09:00 \(Europe\/Zurich\)/,
      ),
      expect.stringMatching(
        /^2026-03-30T07:00 .*Daily digest 2026-03-29 09:00 – 2026-03-30 09:00 \(Europe\/Zurich\)/,
      ),
    ]);
    const lines = digests().slice(2).map(shown);
    // Times on Bob's clock: fired 10:00 UTC = 11:00 CET.
    expect(lines[0]).toContain('fired 11:00, still firing');
    expect(lines[1]).toContain('still firing (since 2026-03-27 11:00)');
    for (const l of lines) expect(l).toContain(`<@${BOB}>`);
    await client('ss-z', '07-tendermint-0', false);
  });

  it('across the October change (a 25-hour day), after a restart: once per local day, at 09:00 local (07:00, then 08:00 UTC)', async () => {
    await until('2026-03-31T07:00:00Z');
    await digestCount(6); // the 30th–31st: the alert resolved on the 30th
    // Months without alerts (caught up as empty periods, none sent), then a restart and an alert before the change.
    await until('2026-10-23T10:00:00Z');
    await alerter.running.stop();
    alerter = await start();
    await client('ss-z', '07-tendermint-3', true);
    for (const [at, n] of [
      ['2026-10-24T06:59:00Z', 6],
      ['2026-10-24T07:00:00Z', 7],
      ['2026-10-25T07:00:00Z', 7], // 08:00 CET: the clocks went back at 03:00
      ['2026-10-25T08:00:00Z', 8],
      ['2026-10-26T08:00:00Z', 9],
    ] as const) {
      await until(at);
      await digestCount(n);
    }
    expect(posted().slice(6)).toEqual([
      expect.stringMatching(
        /^2026-10-24T07:00 .*Daily digest 2026-10-23 09:00 – 2026-10-24 09:00 \(Europe\/Zurich\)/,
      ),
      expect.stringMatching(
        /^2026-10-25T08:00 .*Daily digest 2026-10-24 09:00 – 2026-10-25 09:00 \(Europe\/Zurich\)/,
      ),
      expect.stringMatching(
        /^2026-10-26T08:00 .*Daily digest 2026-10-25 09:00 – 2026-10-26 09:00 \(Europe\/Zurich\)/,
      ),
    ]);
    // Fired at 10:00 UTC = 12:00 CEST.
    expect(shown(digests()[6]!)).toContain('fired 12:00, still firing');
  });
});
