import { autoRetry } from '@grammyjs/auto-retry';
import { Bot, GrammyError, InlineKeyboard } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeTelegram, parseHtml, startFakeTelegram, type TgUser } from '../src/index.ts';

const TOKEN = '123456:fake-token';
const GROUP = -1001000000001;
const alice: TgUser = { id: 1001, is_bot: false, first_name: 'Alice', username: 'alice_ops' };
const bob: TgUser = { id: 1002, is_bot: false, first_name: 'Bob' };
let fake: FakeTelegram;
let bot: Bot;

beforeEach(async () => {
  fake = await startFakeTelegram({
    token: TOKEN,
    chats: [{ id: GROUP, type: 'supergroup', is_forum: true, topics: [7], admins: [alice], members: [bob] }],
  });
  bot = new Bot(TOKEN, { client: { apiRoot: fake.url } });
});
afterEach(async () => {
  if (bot.isRunning()) await bot.stop();
  await fake.close();
});

describe('fake Telegram Bot API with the real grammY', () => {
  it('answers getMe and refuses another token with 401', async () => {
    expect((await bot.api.getMe()).username).toBe(fake.bot.username);
    const other = new Bot('999:wrong', { client: { apiRoot: fake.url } });
    await expect(other.api.getMe()).rejects.toMatchObject({ error_code: 401, description: 'Unauthorized' });
  });

  it('sends HTML messages with an inline keyboard into a forum topic, parses entities and edits them', async () => {
    const sent = await bot.api.sendMessage(
      GROUP,
      '<b>down</b> &lt;x&gt; <a href="tg://user?id=1002">Bob</a> @alice_ops',
      {
        parse_mode: 'HTML',
        message_thread_id: 7,
        reply_markup: new InlineKeyboard().text('Acknowledge', 'ack:1'),
      },
    );
    expect(sent.text).toBe('down <x> Bob @alice_ops');
    expect(sent.entities).toEqual([
      { type: 'bold', offset: 0, length: 4 },
      { type: 'text_mention', offset: 9, length: 3, user: expect.objectContaining({ id: 1002 }) },
      { type: 'mention', offset: 13, length: 10 },
    ]);
    expect(fake.botMessages(GROUP, 7)).toHaveLength(1);
    const edited = await bot.api.editMessageText(GROUP, sent.message_id, '<i>resolved</i>', {
      parse_mode: 'HTML',
    });
    expect(edited).toMatchObject({ text: 'resolved' });
    expect(fake.botMessages(GROUP)[0]!.text).toBe('resolved');
    // An edit without reply_markup removes the keyboard, as Telegram does.
    expect(fake.botMessages(GROUP)[0]!.reply_markup).toBeUndefined();
    await expect(
      bot.api.editMessageText(GROUP, sent.message_id, '<i>resolved</i>', { parse_mode: 'HTML' }),
    ).rejects.toThrow(/message is not modified/);
    const reply = await bot.api.sendMessage(GROUP, 'fixed', {
      reply_parameters: { message_id: sent.message_id },
    });
    expect(reply.reply_to_message?.message_id).toBe(sent.message_id);
  });

  it('refuses what Telegram refuses: bad HTML, long text, long callback data, unknown chat or topic', async () => {
    await expect(bot.api.sendMessage(GROUP, 'a <script> b', { parse_mode: 'HTML' })).rejects.toThrow(
      /can't parse entities/,
    );
    await expect(bot.api.sendMessage(GROUP, '<b>open', { parse_mode: 'HTML' })).rejects.toThrow(
      /can't parse entities/,
    );
    await expect(bot.api.sendMessage(GROUP, 'x'.repeat(4097))).rejects.toThrow(/message is too long/);
    await expect(
      bot.api.sendMessage(GROUP, 'x', { reply_markup: new InlineKeyboard().text('A', 'a'.repeat(65)) }),
    ).rejects.toThrow(/BUTTON_DATA_INVALID/);
    await expect(bot.api.sendMessage(-5, 'x')).rejects.toThrow(/chat not found/);
    await expect(bot.api.sendMessage(GROUP, 'x', { message_thread_id: 99 })).rejects.toThrow(
      /thread not found/,
    );
    expect(parseHtml('a &amp; &quot;b&quot; &#64;x').text).toBe('a & "b" @x');
  });

  it('long polling delivers user messages and button presses with offsets; answers callback queries', async () => {
    const seen: string[] = [];
    const answered: string[] = [];
    bot.command('data', async (ctx) => {
      seen.push(`${ctx.from?.id}:${ctx.match}`);
      await ctx.reply('ok');
    });
    bot.callbackQuery(/^ack:/, async (ctx) => {
      answered.push(ctx.callbackQuery.data);
      await ctx.answerCallbackQuery({ text: 'Acknowledged' });
    });
    void bot.start({ timeout: 1 });
    fake.sendUserMessage({ chatId: GROUP, from: bob, text: '/data@tocsin_test_bot cosmoshub-4' });
    await fake.waitForRequest({ method: 'sendMessage', chatId: GROUP });
    expect(seen).toEqual(['1002:cosmoshub-4']);

    const msg = await bot.api.sendMessage(GROUP, 'alert', {
      reply_markup: new InlineKeyboard().text('Ack', 'ack:1'),
    });
    const press = fake.pressButton({ chatId: GROUP, messageId: msg.message_id, from: alice, data: 'ack:1' });
    expect(await press.answered).toEqual({ text: 'Acknowledged' });
    expect(answered).toEqual(['ack:1']);
    await bot.stop();
    // Confirmed through the offset: nothing is handed out again.
    expect(fake.pendingUpdates()).toEqual([]);
  });

  it('setMyCommands validates and stores per scope; chat members and admins', async () => {
    await bot.api.setMyCommands([{ command: 'data', description: 'IBC clients' }]);
    expect(fake.commands()).toEqual([{ command: 'data', description: 'IBC clients' }]);
    await expect(bot.api.setMyCommands([{ command: 'Bad-Name', description: 'x' }])).rejects.toThrow(
      /BOT_COMMAND_INVALID/,
    );
    expect((await bot.api.getChatMember(GROUP, alice.id)).status).toBe('creator');
    expect((await bot.api.getChatMember(GROUP, bob.id)).status).toBe('member');
    expect((await bot.api.getChatAdministrators(GROUP)).map((m) => m.user.id)).toEqual([alice.id]);
  });

  it('scripted faults: 429 with retry_after (auto-retry waits it out), 500, and 403 after the bot is kicked', async () => {
    fake.failNext({ method: 'sendMessage' }, { status: 429, retryAfterS: 1 });
    const retrying = new Bot(TOKEN, { client: { apiRoot: fake.url } });
    retrying.api.config.use(autoRetry({ rethrowInternalServerErrors: true }));
    await retrying.api.sendMessage(GROUP, 'after the wait');
    const sends = fake.requests({ method: 'sendMessage' });
    expect(sends.map((r) => r.status)).toEqual([429, 200]);
    expect(sends[0]!.response).toMatchObject({ parameters: { retry_after: 1 } });

    fake.failNext({ method: 'sendMessage' }, { status: 500 });
    const err = await bot.api.sendMessage(GROUP, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrammyError);
    expect((err as GrammyError).error_code).toBe(500);

    fake.kickBot(GROUP);
    await expect(bot.api.sendMessage(GROUP, 'x')).rejects.toMatchObject({
      error_code: 403,
      description: 'Forbidden: bot was kicked from the supergroup chat',
    });
  });

  it('a held request takes effect only when the test lets it go; a hung one takes effect without an answer', async () => {
    let release!: () => void;
    fake.failNext({ method: 'sendMessage' }, { until: new Promise<void>((r) => (release = r)) });
    const sending = bot.api.sendMessage(GROUP, 'held');
    await fake.waitForRequest({ method: 'sendMessage' });
    expect(fake.botMessages(GROUP)).toHaveLength(0);
    release();
    expect((await sending).text).toBe('held');

    fake.failNext({ method: 'sendMessage' }, { hang: true });
    void bot.api.sendMessage(GROUP, 'hung').catch(() => undefined);
    await fake.waitForRequest({ method: 'sendMessage' }, 2);
    expect(fake.botMessages(GROUP).map((m) => m.text)).toEqual(['held', 'hung']);
  });

  it('webhook mode: updates are posted with the secret token header; getUpdates is refused meanwhile', async () => {
    const got: { secret: string | undefined; body: unknown }[] = [];
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({
          secret: req.headers['x-telegram-bot-api-secret-token'] as string | undefined,
          body: JSON.parse(body),
        });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await bot.api.setWebhook(`http://127.0.0.1:${port}/hook`, { secret_token: 's3cret' });
    await expect(bot.api.getUpdates()).rejects.toMatchObject({ error_code: 409 });
    fake.sendUserMessage({ chatId: GROUP, from: bob, text: '/help' });
    const deadline = Date.now() + 10_000;
    while (!got.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(got[0]).toMatchObject({ secret: 's3cret', body: { message: { text: '/help' } } });
    await bot.api.deleteWebhook();
    server.close();
  });
});
