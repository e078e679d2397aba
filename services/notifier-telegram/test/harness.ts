import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createPublisher, type Publisher } from '@tocsin/bus';
import { type FakeTelegram, startFakeTelegram, type TgMessage, type TgUser } from '@tocsin/chat-fakes';
import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { type TelegramNotifierOptions, telegramNotifier } from '../src/index.ts';

export const TOKEN = '7000000001:AAtest-token-for-the-fake';
/** A supergroup with forum topics (critical alerts go to topic 7), a private chat, and a group the bot left. */
export const CHATS = { ops: -1001000000001, alice: 1001, gone: -1001000000099 } as const;
export const PAGER_TOPIC = 7;
export const ALICE: TgUser = { id: 1001, is_bot: false, first_name: 'Alice', username: 'alice_ops' };
export const BOB: TgUser = { id: 1002, is_bot: false, first_name: 'Bob', username: 'bob_relays' };
export const CAROL: TgUser = { id: 1003, is_bot: false, first_name: 'Carol' };
/** Configured in `telegram.mentions`: tagged on every firing alert. */
export const ONCALL = 4242;

export function secretFiles(): { dir: string; token: string; webhookSecret: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-telegram-'));
  const token = join(dir, 'token');
  const webhookSecret = join(dir, 'webhook-secret');
  writeFileSync(token, `${TOKEN}\n`, { mode: 0o600 });
  writeFileSync(webhookSecret, 'webhook_secret-0123', { mode: 0o600 });
  return { dir, token, webhookSecret };
}

export async function fakeTelegram(): Promise<FakeTelegram> {
  return startFakeTelegram({
    token: TOKEN,
    chats: [
      {
        id: CHATS.ops,
        type: 'supergroup',
        is_forum: true,
        topics: [PAGER_TOPIC],
        admins: [ALICE],
        members: [BOB, CAROL],
      },
      { id: CHATS.alice, type: 'private', members: [ALICE] },
      { id: CHATS.gone, type: 'supergroup', admins: [ALICE] },
    ],
  });
}

/** The `telegram:` section the tests run with. */
export function telegramSection(fake: FakeTelegram, files: { token: string }) {
  return {
    token_file: files.token,
    api_root: fake.url,
    chats: [
      { chat_id: CHATS.ops, message_thread_id: PAGER_TOPIC, severity: 'critical', continue: true },
      { chat_id: CHATS.gone, source: 'gone' },
      { chat_id: CHATS.ops },
    ],
    mentions: [ONCALL],
    admins: [CAROL.id],
    explorers: [
      { label: 'address', url: 'https://www.mintscan.io/cosmos/address/{value}', title: 'Mintscan' },
    ],
    dashboard_url: 'https://grafana.example.org/d/tocsin?var-episode={episode_id}',
    timeout: '6s',
    rate_limit_retries: 3,
    // Tests that are not about bursts never coalesce.
    rate: { private: { burst: 1000, per: '1s' }, group: { burst: 1000, per: '1s' } },
  };
}

export interface Harness {
  env: TestEnv;
  fake: FakeTelegram;
  svc: RunningService;
  clock: ManualClock;
  nc: Awaited<ReturnType<TestEnv['nats']>>;
  publisher: Publisher;
  logs: string[];
  files: ReturnType<typeof secretFiles>;
  /** Restarts the service (same env, fake and database). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(
  name: string,
  options: TelegramNotifierOptions = {},
  section: Record<string, unknown> = {},
  reuse: { env?: TestEnv; fake?: FakeTelegram; clock?: ManualClock } = {},
): Promise<Harness> {
  const env = reuse.env ?? (await testEnv(name));
  const fake = reuse.fake ?? (await fakeTelegram());
  const files = secretFiles();
  const clock = reuse.clock ?? new ManualClock(Date.now());
  const logs: string[] = [];
  const logDest = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const start = () =>
    startService(telegramNotifier(options), {
      env: env.env,
      argv: [],
      clock,
      logDest,
      config: { ...env.config, telegram: { ...telegramSection(fake, files), ...section } },
    });
  const h: Harness = {
    env,
    fake,
    svc: await start(),
    clock,
    nc: await env.nats(),
    publisher: undefined as unknown as Publisher,
    logs,
    files,
    async restart() {
      await h.svc.stop();
      h.svc = await start();
    },
    async close() {
      await h.svc.stop();
      if (!reuse.fake) await fake.close();
      if (!reuse.env) await env.cleanup();
      rmSync(files.dir, { recursive: true, force: true });
    },
  };
  h.publisher = createPublisher({ nc: h.nc, subjects: env.subjects, instance: 'test' });
  return h;
}

/** A firing notification for a fresh episode, and a later transition of it (the shared test fixtures). */
export { freshFiring as firing, laterTransition as later } from '@tocsin/testkit';

/** Users a message would notify: its text_mention entities and detected @username mentions. */
export function pinged(m: TgMessage): string[] {
  return (m.entities ?? []).flatMap((e) =>
    e.type === 'text_mention'
      ? [`id:${e.user!.id}`]
      : e.type === 'mention'
        ? [m.text.slice(e.offset, e.offset + e.length)]
        : [],
  );
}
