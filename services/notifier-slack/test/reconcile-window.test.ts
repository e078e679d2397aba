import { Writable } from 'node:stream';
import { type FakeSlack, startFakeSlack } from '@tocsin/chat-fakes';
import { attemptIdFor, deliverNotification, notifyMigrations } from '@tocsin/notify';
import { createLogger } from '@tocsin/runtime';
import { createPool, migrate, type Pool, storeMigrations } from '@tocsin/store';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { messageStore, slackClient, slackProvider } from '../src/index.ts';
import { CHANNELS, fakeChannels, firing, TOKEN } from './harness.ts';

// After a crash, reconcile looks for the interrupted attempt's post only among the messages since that attempt
// began: a notification that waited in a backlog does not make it read the whole channel since it was created
// (under load, those extra history pages are what ran into the API timeout).

let env: TestEnv;
let pool: Pool;
let fake: FakeSlack;
/** The fake's clock: real time unless moved back to post the backlog. */
let shift = 0;

beforeAll(async () => {
  env = await testEnv('slack-reconcile-window');
  await migrate({ url: env.databaseUrl, dir: storeMigrations, service: 'store', schema: env.schema });
  await migrate({ url: env.databaseUrl, dir: notifyMigrations.dir, service: 'notify', schema: env.schema });
  await migrate({
    url: env.databaseUrl,
    dir: new URL('../migrations', import.meta.url).pathname,
    service: 'notifier-slack',
    schema: env.schema,
  });
  pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 2 });
  fake = await startFakeSlack({ token: TOKEN, clock: () => Date.now() + shift });
  fakeChannels(fake);
});
afterAll(async () => {
  await pool.end();
  await fake.close();
  await env.cleanup();
});

it('reconcile reads only the messages since the first attempt, not the backlog since the notification', async () => {
  const log = createLogger({
    service: 'test',
    instance: 'test',
    level: 'warn',
    dest: new Writable({ write: (_c, _e, done) => done() }),
  });
  const client = slackClient(TOKEN, { apiUrl: fake.url, timeoutMs: 10_000, rateLimitRetries: 2, log });
  const provider = slackProvider({
    client,
    config: { default_channel: CHANNELS.alerts, routes: [], mentions: [], username: 'tocsin' },
    store: messageStore(pool),
    log,
  });
  // Made an hour ago; 450 messages went to the channel while it waited (three history pages of 200).
  const n = { ...firing(), created_at: new Date(Date.now() - 3_600_000).toISOString() };
  shift = -3_000_000;
  for (let i = 0; i < 450; i++)
    await client.chat.postMessage({ channel: CHANNELS.alerts, text: `backlog ${i}` });
  shift = 0;
  // Its first attempt began now and was killed before it posted (the lease ran out).
  await pool.query(
    `INSERT INTO notify_deliveries (notifier, notification_key, channel, state, attempt_id, transition, lease_until)
     VALUES ('slack', $1, $2, 'attempting', $3, 'firing', now() - interval '1 second')`,
    [n.key, CHANNELS.alerts, attemptIdFor('slack', n.key, CHANNELS.alerts)],
  );
  const history = fake.requests({ method: 'conversations.history' }).length;

  const [outcome] = await deliverNotification({ pool, provider, notification: n });

  expect(outcome).toMatchObject({ channel: CHANNELS.alerts, state: 'sent' });
  expect(fake.requests({ method: 'conversations.history' }).length - history).toBe(1);
  const posted = fake
    .messages(CHANNELS.alerts)
    .filter((m) => JSON.stringify(m.blocks ?? []).includes(n.alerts[0]!.summary));
  expect(posted).toHaveLength(1);
});
