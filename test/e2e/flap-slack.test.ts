import { rmSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import { createPublisher, type Publisher } from '@tocsin/bus';
import { type FakeSlack, startFakeSlack } from '@tocsin/chat-fakes';
import { ManualClock, type RunningService } from '@tocsin/runtime';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { secretFiles, startSlackNotifier, TOKEN } from '../../services/notifier-slack/test/harness.ts';
import { type InProcessAlerter, publishClient, startAlerter } from '../support/alerter.ts';

/**
 * Flap suppression in Slack: real alerter → real notifier-slack → the fake Slack, on one ManualClock. A client that
 * keeps expiring and being updated is one message, edited in place, with no thread replies while it flaps.
 */
const CHANNEL = 'C0FLAP';
const CHAIN = 'flap-2';

let env: TestEnv;
let files: ReturnType<typeof secretFiles>;
let fake: FakeSlack;
let clock: ManualClock;
let alerter: InProcessAlerter;
let slack: RunningService;
let nc: NatsConnection;
let publisher: Publisher;

beforeAll(async () => {
  env = await testEnv('flap-slack');
  files = secretFiles();
  fake = await startFakeSlack({ token: TOKEN });
  fake.addChannel({ id: CHANNEL, name: 'alerts' });
  clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  alerter = await startAlerter(
    env,
    clock,
    [{ id: 'ibc-client-expiry-imminent', flap: { window: '10m', max_transitions: 2 } }],
    { defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 } },
  );
  slack = await startSlackNotifier(env, clock, fake, files, {
    default_channel: CHANNEL,
    rate: { burst: 100, per: '1s' },
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

async function client(expiring: boolean) {
  clock.advance(60_000);
  await publishClient(publisher, clock.now(), CHAIN, expiring);
  await nc.flush();
  await alerter.settle(nc, 1);
  await alerter.handle.alerter.published();
}
const shown = (m: { blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []);
const top = () => fake.messages(CHANNEL).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
const replies = () => fake.messages(CHANNEL).filter((m) => m.thread_ts && m.thread_ts !== m.ts);

it('a flapping alert is one Slack message, edited as it flips, no thread replies; then a settled edit', async () => {
  await client(true);
  const first = await eventually(() => top()[0], 20_000, 'the firing message');
  await client(false);
  await eventually(() => replies().length === 1, 20_000, 'the resolve reply');
  for (let i = 3; i <= 8; i++) {
    await client(i % 2 === 1);
    await eventually(
      () =>
        shown(fake.messages(CHANNEL).find((m) => m.ts === first!.ts)!).includes(
          `flapping: ${i} changes in 10m`,
        ),
      20_000,
      `the edit after change ${i}`,
    );
  }
  clock.advance(600_000);
  await alerter.settle(nc, 1);
  await alerter.handle.alerter.published();
  await eventually(
    () =>
      shown(fake.messages(CHANNEL).find((m) => m.ts === first!.ts)!).includes(
        'settled resolved after flapping',
      ),
    20_000,
    'the settled edit',
  );
  // Eight changes: one message, the one reply from before it flapped, every later change an edit.
  expect(top()).toHaveLength(1);
  expect(replies()).toHaveLength(1);
});
