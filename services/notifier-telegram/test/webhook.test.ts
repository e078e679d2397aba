import { eventually, freePort } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BOB, CHATS, type Harness, startHarness } from './harness.ts';

let h: Harness;
let hook: string;
const SECRET = 'webhook_secret-0123'; // what secretFiles() writes

beforeAll(async () => {
  const port = await freePort();
  hook = `http://127.0.0.1:${port}/telegram/webhook`;
  h = await startHarness('telegram-webhook', {}, {}, {});
  // Restart in webhook mode on a known port (Telegram must be told the URL before updates can arrive).
  await h.svc.stop();
  const { startService } = await import('@tocsin/runtime');
  const { telegramNotifier } = await import('../src/index.ts');
  const { telegramSection } = await import('./harness.ts');
  h.svc = await startService(telegramNotifier(), {
    env: { ...h.env.env, TOCSIN_HTTP_PORT: String(port) },
    argv: [],
    config: {
      ...h.env.config,
      telegram: {
        ...telegramSection(h.fake, h.files),
        mode: 'webhook',
        webhook: { url: hook, secret_token_file: h.files.webhookSecret },
      },
    },
  });
});
afterAll(async () => h.close());

const update = (id: number, text: string) => ({
  update_id: id,
  message: {
    message_id: 9000 + id,
    date: Math.floor(Date.now() / 1000),
    chat: { id: CHATS.ops, type: 'supergroup', title: 'ops' },
    from: BOB,
    text,
    entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }],
  },
});

const post = (body: unknown, secret?: string) =>
  fetch(hook, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}),
    },
    body: JSON.stringify(body),
  });

it('sets the webhook with the secret; updates Telegram pushes are answered', async () => {
  expect(h.fake.webhook()).toEqual({ url: hook, secret_token: SECRET });
  h.fake.sendUserMessage({ chatId: CHATS.ops, from: BOB, text: '/help' });
  await eventually(
    () => h.fake.botMessages(CHATS.ops).some((m) => m.text.includes('tocsin commands')),
    20_000,
    'the reply',
  );
});

it('refuses a request without the secret token header, or with a wrong one (401), and acts on nothing', async () => {
  const before = h.fake.botMessages(CHATS.ops).length;
  expect((await post(update(500_001, '/help'))).status).toBe(401);
  expect((await post(update(500_002, '/help'), 'wrong')).status).toBe(401);
  expect(h.fake.botMessages(CHATS.ops)).toHaveLength(before);
});

it('an update posted twice (Telegram retrying a webhook call) is answered once', async () => {
  const before = h.fake.botMessages(CHATS.ops).length;
  expect((await post(update(500_010, '/silences'), SECRET)).status).toBe(200);
  expect((await post(update(500_010, '/silences'), SECRET)).status).toBe(200);
  expect((await post(update(500_011, '/help'), SECRET)).status).toBe(200);
  await eventually(() => h.fake.botMessages(CHATS.ops).length >= before + 2, 20_000, 'the replies');
  const replies = h.fake.botMessages(CHATS.ops).slice(before);
  expect(replies.map((m) => m.reply_to_message?.message_id ?? null)).toEqual([null, null]);
  expect(replies.filter((m) => m.text.includes('tocsin commands'))).toHaveLength(1);
});
