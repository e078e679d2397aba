import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublisher } from '@tocsin/bus';
import { type FakeDiscord, startFakeDiscord } from '@tocsin/chat-fakes';
import { newId } from '@tocsin/events';
import { createPool, type Pool } from '@tocsin/store';
import { eventually, type TestEnv, TestProcesses, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alertOf, notificationOf } from './fixtures.ts';
import { ALICE, secretFile, TOKEN } from './harness.ts';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');
let env: TestEnv;
let fake: FakeDiscord;
let channel: string;
let configFile: string;
let pool: Pool;
const procs = new TestProcesses();

beforeAll(async () => {
  env = await testEnv('discord-crash');
  fake = await startFakeDiscord({ token: TOKEN });
  const guild = fake.addGuild({ channels: [{ name: 'alerts' }] });
  channel = guild.channels[0]!.id;
  configFile = secretFile(
    [
      'discord:',
      `  token_file: ${secretFile(TOKEN)}`,
      `  api_url: ${fake.url}`,
      `  guild_id: '${guild.id}'`,
      `  default_channel: '${channel}'`,
      '  ack_wait: 2s',
      '',
    ].join('\n'),
  );
  pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 2 });
});
afterAll(async () => {
  procs.killAll();
  await pool.end();
  await fake.close();
  await env.cleanup();
});

/** The notifier as its own process (`node src/main.ts`), resolved once it consumes. */
function startNotifier() {
  return procs.start(main, {
    env: { ...env.env, TOCSIN_CONFIG: configFile, TOCSIN_LOG_LEVEL: 'info' },
    ready: 'notifier-discord started',
  });
}

const posts = (summary: string) =>
  fake
    .requests({ method: 'POST', path: `/channels/${channel}/messages` })
    .filter((r) => JSON.stringify(r.body).includes(summary));
const shown = (summary: string) =>
  fake.messages(channel).filter((m) => JSON.stringify(m.embeds).includes(summary));

async function deliveryState(key: string) {
  const { rows } = await pool.query<{ state: string; ref: string | null }>(
    'SELECT state, ref FROM notify_deliveries WHERE notification_key = $1',
    [key],
  );
  return rows[0];
}

it('kill -9 after Discord created the message but before the ack: after restart, still exactly one message', async () => {
  const nc = await env.nats();
  const publisher = createPublisher({ nc, subjects: env.subjects, instance: 'test' });

  // Scenario 1: the restarted notifier finds its message among the channel's recent ones (footer marker).
  const first = await startNotifier();
  const held = fake.failNext({ method: 'POST', path: `/channels/${channel}/messages` }, { hang: true });
  const summary1 = `crash one ${newId()}`;
  const n1 = notificationOf({}, [alertOf({ summary: summary1 })]);
  await publisher.publishNotification(n1);
  await eventually(() => held.remaining === 0 && shown(summary1).length === 1, 15_000, 'the held post');
  await procs.kill9(first);
  expect((await deliveryState(n1.key))?.state).toBe('attempting');

  const second = await startNotifier();
  await eventually(
    async () => (await deliveryState(n1.key))?.state === 'sent',
    20_000,
    'delivery after restart',
  );
  expect(shown(summary1)).toHaveLength(1);
  expect(posts(summary1)).toHaveLength(1);
  expect((await deliveryState(n1.key))?.ref).toBe(shown(summary1)[0]!.id);

  // Scenario 2: a busy channel (250 newer messages, more than a page of 100): reconcile pages back through the
  // messages since the first attempt began and still finds it, so there is no second post.
  const held2 = fake.failNext({ method: 'POST', path: `/channels/${channel}/messages` }, { hang: true });
  const summary2 = `crash two ${newId()}`;
  const n2 = notificationOf({}, [alertOf({ summary: summary2 })]);
  await publisher.publishNotification(n2);
  await eventually(
    () => held2.remaining === 0 && shown(summary2).length === 1,
    15_000,
    'the second held post',
  );
  await procs.kill9(second);
  for (let i = 0; i < 250; i++) {
    fake.dispatchMessageCreate({ channel_id: channel, content: `chatter ${i}`, author: ALICE });
  }
  const third = await startNotifier();
  await eventually(
    async () => (await deliveryState(n2.key))?.state === 'sent',
    20_000,
    'second delivery after restart',
  );
  expect(posts(summary2)).toHaveLength(1);
  expect(shown(summary2)).toHaveLength(1);
  expect((await deliveryState(n2.key))?.ref).toBe(shown(summary2)[0]!.id);
  const pages = fake.requests({ method: 'GET', path: `/channels/${channel}/messages` });
  expect(pages.some((r) => r.query.before !== undefined)).toBe(true);
  await procs.kill9(third);
});
