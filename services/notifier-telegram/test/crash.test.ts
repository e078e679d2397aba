import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublisher } from '@tocsin/bus';
import type { FakeTelegram } from '@tocsin/chat-fakes';
import { attemptIdFor } from '@tocsin/notify';
import { createPool, type Pool } from '@tocsin/store';
import { eventually, type TestEnv, TestProcesses, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHATS, fakeTelegram, firing, later, secretFiles } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
let env: TestEnv;
let fake: FakeTelegram;
let pool: Pool;
let files: ReturnType<typeof secretFiles>;
const procs = new TestProcesses();

beforeAll(async () => {
  env = await testEnv('telegram-crash');
  fake = await fakeTelegram();
  files = secretFiles();
  pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 3 });
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
      TOCSIN__telegram__token_file: files.token,
      TOCSIN__telegram__api_root: fake.url,
      TOCSIN__telegram__chats: `[{chat_id: ${CHATS.ops}}]`,
      TOCSIN__telegram__commands: 'false',
      TOCSIN__telegram__timeout: '30s',
      // A short ack wait so the message the killed process held is redelivered quickly.
      TOCSIN__telegram__ack_wait: '1500ms',
    },
    ready: 'notifier-telegram started',
  });
}

async function delivery(key: string) {
  const r = await pool.query<{ state: string; attempts: number; ref: string | null }>(
    `SELECT state, attempts, ref FROM notify_deliveries WHERE notifier = 'telegram' AND notification_key = $1`,
    [key],
  );
  return r.rows[0];
}

it('killed (-9) after Telegram answered with the message id but before the ack: after a restart, one message', async () => {
  // Telegram holds the send until the test has locked the delivery row: the notifier then records the message id
  // and blocks marking the row sent, which is where it is killed.
  let release!: () => void;
  fake.failNext(
    { method: 'sendMessage', chatId: CHATS.ops },
    { until: new Promise<void>((r) => (release = r)) },
  );
  const first = await startNotifier();
  const nc = await env.nats();
  const publisher = createPublisher({ nc, subjects: env.subjects, instance: 'test' });
  const n = firing();
  await publisher.publishNotification(n);
  await fake.waitForRequest({ method: 'sendMessage', chatId: CHATS.ops });
  expect((await delivery(n.key))?.state).toBe('attempting');

  const lock = await pool.connect();
  await lock.query('BEGIN');
  await lock.query(
    `SELECT 1 FROM notify_deliveries WHERE notifier = 'telegram' AND notification_key = $1 FOR UPDATE`,
    [n.key],
  );
  release();
  const attemptId = attemptIdFor('telegram', n.key, String(CHATS.ops));
  const recorded = await eventually(
    async () =>
      (
        await pool.query<{ message_id: string }>(
          'SELECT message_id FROM telegram_sent WHERE attempt_id = $1',
          [attemptId],
        )
      ).rows[0],
    30_000,
    'the message id to be recorded',
  );
  // The notifier's statement marking the row sent is waiting for the test's lock (this proves where it stopped).
  const me = (await lock.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const blockedByMe = async () =>
    (
      await pool.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [me],
      )
    ).rows;
  await eventually(
    async () => (await blockedByMe()).length === 1,
    30_000,
    'the notifier to wait to mark the row sent',
  );
  await procs.kill9(first);
  // PostgreSQL would still run the dead process's queued statement once the lock is free (it does not check a
  // waiting client): end its session too, as the crash would have had the statement never sent.
  await pool.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
    [me],
  );
  await eventually(async () => (await blockedByMe()).length === 0, 30_000, 'the dead session to end');
  await lock.query('ROLLBACK');
  lock.release();
  const messages = fake.botMessages(CHATS.ops);
  expect(messages).toHaveLength(1);
  expect(String(messages[0]!.message_id)).toBe(recorded!.message_id);
  expect((await delivery(n.key))?.state).toBe('attempting');

  const second = await startNotifier();
  await eventually(
    async () => (await delivery(n.key))?.state === 'sent',
    30_000,
    'the redelivered alert to settle',
  );
  expect(fake.botMessages(CHATS.ops)).toHaveLength(1);
  expect(fake.requests({ method: 'sendMessage' })).toHaveLength(1);
  const settled = await delivery(n.key);
  expect(settled).toMatchObject({ state: 'sent', ref: String(messages[0]!.message_id) });
  expect(settled!.attempts).toBeGreaterThanOrEqual(2);

  // The restarted notifier still knows the message: the resolve edits it and replies to it.
  await publisher.publishNotification(
    later(n, 'resolved', { state: 'resolved', resolved_at: new Date().toISOString() }),
  );
  await eventually(
    () => fake.botMessages(CHATS.ops).some((m) => m.reply_to_message?.message_id === messages[0]!.message_id),
    30_000,
    'the resolve reply',
  );
  expect(fake.requests({ method: 'editMessageText' }).map((r) => r.params.message_id)).toEqual([
    messages[0]!.message_id,
  ]);
  expect(fake.botMessages(CHATS.ops)[0]!.text).toMatch(/^✅ RESOLVED/);

  await procs.stop(second);
});

it('the window that remains (README): killed after Telegram created the message but before its answer arrived → sent again, never lost', async () => {
  fake.failNext({ method: 'sendMessage', chatId: CHATS.ops }, { hang: true });
  const first = await startNotifier();
  const nc = await env.nats();
  const publisher = createPublisher({ nc, subjects: env.subjects, instance: 'test' });
  const n = firing();
  const episode = n.alerts[0]!.episode_id;
  await publisher.publishNotification(n);
  await eventually(
    () => fake.botMessages(CHATS.ops).some((m) => m.text.includes(episode)),
    30_000,
    'the message',
  );
  await procs.kill9(first);
  expect((await delivery(n.key))?.state).toBe('attempting');

  const second = await startNotifier();
  await eventually(
    async () => (await delivery(n.key))?.state === 'sent',
    30_000,
    'the redelivered alert to settle',
  );
  // No id was recorded, so nothing told the restarted notifier it had been sent: at least once, not exactly once.
  expect(fake.botMessages(CHATS.ops).filter((m) => m.text.includes(episode))).toHaveLength(2);
  await procs.stop(second);
});
