import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublisher } from '@tocsin/bus';
import { type FakeSlack, startFakeSlack } from '@tocsin/chat-fakes';
import { createPool, type Pool } from '@tocsin/store';
import { eventually, type TestEnv, TestProcesses, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHANNELS, fakeChannels, firing, secretFiles, TOKEN } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
let env: TestEnv;
let fake: FakeSlack;
let pool: Pool;
let files: ReturnType<typeof secretFiles>;
const procs = new TestProcesses();

beforeAll(async () => {
  env = await testEnv('slack-crash');
  fake = await startFakeSlack({ token: TOKEN });
  fakeChannels(fake);
  files = secretFiles();
  pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 2 });
});
afterAll(async () => {
  procs.killAll();
  await pool.end();
  await fake.close();
  await env.cleanup();
  rmSync(files.dir, { recursive: true, force: true });
});

/** Starts the notifier as a child process and resolves once it consumes. */
function startNotifier() {
  return procs.start(join(here, 'fixtures', 'notifier-process.ts'), {
    env: {
      ...env.env,
      TOCSIN_LOG_LEVEL: 'info',
      TOCSIN__slack__token_file: files.token,
      TOCSIN__slack__api_url: fake.url,
      TOCSIN__slack__default_channel: CHANNELS.alerts,
      TOCSIN__slack__timeout: '30s',
      // A short ack wait so the message the killed process held is redelivered quickly.
      TOCSIN__slack__ack_wait: '1500ms',
    },
    ready: 'notifier-slack started',
  });
}

async function delivery(key: string) {
  const r = await pool.query<{ state: string; attempts: number; ref: string | null }>(
    `SELECT state, attempts, ref FROM notify_deliveries WHERE notifier = 'slack' AND notification_key = $1`,
    [key],
  );
  return r.rows[0];
}

it('killed after Slack posted but before the ack: after a restart the alert is in the channel exactly once', async () => {
  // Slack posts the message but the answer never reaches the notifier: it is killed while waiting.
  fake.failNext({ method: 'chat.postMessage', channel: CHANNELS.alerts }, { hang: true });
  const first = await startNotifier();
  const nc = await env.nats();
  const n = firing();
  await createPublisher({ nc, subjects: env.subjects, instance: 'test' }).publishNotification(n);

  await fake.waitForRequest({ method: 'chat.postMessage', channel: CHANNELS.alerts });
  // Killed at once: past the ack wait (1.5 s), JetStream would hand the message to this same live process again,
  // which would reconcile it to 'sent' before the crash this test is about.
  await procs.kill9(first);
  expect(fake.messages(CHANNELS.alerts)).toHaveLength(1);
  expect((await delivery(n.key))?.state).toBe('attempting');

  const second = await startNotifier();
  await eventually(
    async () => (await delivery(n.key))?.state === 'sent',
    30_000,
    'the redelivered alert to settle',
  );
  const messages = fake.messages(CHANNELS.alerts);
  expect(messages).toHaveLength(1);
  expect(fake.requests({ method: 'chat.postMessage' })).toHaveLength(1);
  // It was settled by looking the post up in the channel, not by sending again.
  expect(fake.requests({ method: 'conversations.history', channel: CHANNELS.alerts }).length).toBeGreaterThan(
    0,
  );
  // attempts ≥ 2: the restarted consumer may be handed the message more than once (see the report on
  // JetStream redelivery after a consumer is killed); every copy reconciled, none posted.
  const settled = await delivery(n.key);
  expect(settled).toMatchObject({ state: 'sent', ref: messages[0]!.ts });
  expect(settled!.attempts).toBeGreaterThanOrEqual(2);

  // The restarted notifier carries on normally, and the link to the message survived: resolve edits it.
  const resolved = {
    ...n,
    key: `${n.alerts[0]!.episode_id}:resolved:1`,
    transition: 'resolved' as const,
    alerts: n.alerts.map((a) => ({
      ...a,
      state: 'resolved' as const,
      resolved_at: new Date().toISOString(),
    })),
  };
  await createPublisher({ nc, subjects: env.subjects, instance: 'test' }).publishNotification(resolved);
  await eventually(
    () => fake.thread(CHANNELS.alerts, messages[0]!.ts).length === 1,
    30_000,
    'the resolve reply',
  );
  expect(fake.requests({ method: 'chat.update' }).map((r) => r.args.ts)).toEqual([messages[0]!.ts]);
  expect(fake.messages(CHANNELS.alerts)[0]!.blocks?.[0]).toMatchObject({
    text: { text: expect.stringMatching(/^✅ Resolved/) },
  });

  await procs.stop(second);
});
