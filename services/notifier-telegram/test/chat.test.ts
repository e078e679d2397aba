import { RpcError, serveRpc } from '@tocsin/bus';
import type { TgMessage, TgUser } from '@tocsin/chat-fakes';
import { type Command, defaultCommands } from '@tocsin/commands';
import { type Alert, alerterRpc } from '@tocsin/events';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ALICE, BOB, CAROL, CHATS, firing, type Harness, pinged, startHarness } from './harness.ts';

let h: Harness;
type AckRequest = z.output<typeof alerterRpc.ack.request>;
type SilenceRequest = z.output<typeof alerterRpc.silence.request>;
const acks: AckRequest[] = [];
const silences: SilenceRequest[] = [];
const alerts = new Map<string, Alert>();

/** A command another domain registers later (an ingestor's): it must show up without changing this service. */
const extra: Command = {
  name: 'consumers',
  summary: 'ICS consumer chains',
  args: [],
  run: async () => ({ title: 'Consumers', text: 'none', kind: 'ok' }),
};

/** A listing of three pages, each naming its page. */
const paged: Command = {
  name: 'listing',
  summary: 'A listing in pages',
  args: [],
  run: async () => ({
    title: 'Listing',
    pages: [1, 2, 3].map((p) => ({
      text: `entries of page ${p} @alice_ops`,
      fields: [{ name: `p${p}`, value: 'v' }],
    })),
    kind: 'ok',
  }),
};

beforeAll(async () => {
  h = await startHarness('telegram-chat', {
    commands: () => {
      const r = defaultCommands('/');
      return r.register(extra, paged);
    },
  });
  // A stand-in alerter on the real bus that records what it is asked (the real one lives in services/alerter).
  serveRpc({
    nc: h.nc,
    subject: h.env.subjects.rpc('alerter', 'ack'),
    schema: alerterRpc.ack.request,
    handler: async (req) => {
      acks.push(req);
      const alert = alerts.get(req.episode_id ?? '');
      if (!alert) throw new RpcError('not_found', `no open alert ${req.episode_id}`);
      return { alert: { ...alert, acknowledged: { by: req.by, at: new Date().toISOString() } } };
    },
  });
  serveRpc({
    nc: h.nc,
    subject: h.env.subjects.rpc('alerter', 'silence'),
    schema: alerterRpc.silence.request,
    handler: async (req) => {
      silences.push(req);
      const now = Date.now();
      return {
        silence: {
          id: `S${silences.length}`,
          matchers: req.matchers,
          starts_at: new Date(now).toISOString(),
          ends_at: new Date(now + (req.duration_s ?? 0) * 1000).toISOString(),
          author: req.by,
          reason: req.reason,
          created_at: new Date(now).toISOString(),
        },
      };
    },
  });
});
afterAll(async () => h.close());

/** Sends a user message and waits for the bot's reply to it. */
async function say(from: TgUser, text: string, chatId: number = CHATS.ops): Promise<TgMessage> {
  const u = h.fake.sendUserMessage({ chatId, from, text });
  const id = u.message!.message_id;
  const reply = await eventually(
    () => h.fake.botMessages(chatId).find((m) => m.reply_to_message?.message_id === id),
    20_000,
    `the reply to "${text}"`,
  );
  return reply!;
}

describe('commands', () => {
  it('registers every command of the registry with setMyCommands (an added domain command included)', async () => {
    const names = h.fake.commands().map((c) => c.command);
    const expected = defaultCommands('/')
      .list()
      .map((c) => c.name);
    for (const name of [...expected, 'consumers']) expect(names).toContain(name);
    expect(names).toHaveLength(expected.length + 2);
    for (const want of [
      'data',
      'wallets',
      'register',
      'deregister',
      'recheck',
      'alerts',
      'ack',
      'silence',
      'silences',
      'unsilence',
      'help',
    ]) {
      expect(names).toContain(want);
    }
    expect(h.fake.commands().find((c) => c.command === 'consumers')?.description).toBe('ICS consumer chains');
  });

  it('answers /help, also addressed as /help@bot, and ignores commands for another bot', async () => {
    const help = await say(BOB, '/help');
    expect(help.text).toContain('tocsin commands');
    expect(help.text).toContain('/register <wallet> <chain_id> <threshold>');
    const addressed = await say(BOB, `/consumers@${h.fake.bot.username}`);
    expect(addressed.text).toContain('Consumers');
    const before = h.fake.botMessages(CHATS.ops).length;
    h.fake.sendUserMessage({ chatId: CHATS.ops, from: BOB, text: '/help@some_other_bot' });
    await say(BOB, '/help silence');
    expect(h.fake.botMessages(CHATS.ops)).toHaveLength(before + 1);
  });

  it('bad arguments get the usage reply, with no live mention', async () => {
    const r = await say(BOB, '/register @alice_ops <b>x</b>');
    expect(r.text).toContain('Usage: /register <wallet> <chain_id> <threshold>');
    expect(pinged(r)).toEqual([]);
    const unknown = await say(BOB, '/nosuch @alice_ops');
    expect(unknown.text).toContain('There is no /nosuch');
    expect(pinged(unknown)).toEqual([]);
  });

  it('a paged listing shows page 1 with ▶; pressing it edits the reply to the next page (re-running the command)', async () => {
    const r = await say(BOB, '/listing');
    expect(r.text).toContain('entries of page 1');
    expect(r.text).toContain('page 1 of 3');
    expect(pinged(r)).toEqual([]);
    expect(r.reply_markup?.inline_keyboard[0]?.map((b) => b.callback_data)).toEqual(['pg:1']);
    const next = h.fake.pressButton({
      chatId: CHATS.ops,
      messageId: r.message_id,
      from: CAROL,
      data: 'pg:1',
    });
    await next.answered;
    const page2 = h.fake.botMessages(CHATS.ops).find((m) => m.message_id === r.message_id)!;
    expect(page2.text).toContain('entries of page 2');
    expect(page2.reply_markup?.inline_keyboard[0]?.map((b) => b.callback_data)).toEqual(['pg:0', 'pg:2']);
  });

  it('only chat admins (or configured users) may silence', async () => {
    const refused = await say(BOB, '/silence 1h chain_id=cosmoshub-4');
    expect(refused.text).toContain('Only the chat’s admins');
    expect(silences).toHaveLength(0);
    const byAdmin = await say(ALICE, '/silence 1h chain_id=cosmoshub-4');
    expect(byAdmin.text).toContain('Silenced');
    const byConfigured = await say(CAROL, '/silence 2h chain_id=osmosis-1');
    expect(byConfigured.text).toContain('Silenced');
    expect(silences.map((s) => [s.by, s.is_admin])).toEqual([
      ['telegram:1001', true],
      ['telegram:1003', true],
    ]);
  });
});

describe('alert buttons', () => {
  async function alertMessage() {
    const n = firing();
    const episode = n.alerts[0]!.episode_id;
    alerts.set(episode, n.alerts[0]!);
    await h.publisher.publishNotification(n);
    const m = await eventually(
      () => h.fake.botMessages(CHATS.ops).find((x) => !x.reply_to_message && x.text.includes(episode)),
      20_000,
      'the alert message',
    );
    return { m: m!, episode };
  }

  it('Acknowledge calls the alerter as the pressing user and the message shows who acknowledged', async () => {
    const { m, episode } = await alertMessage();
    const press = h.fake.pressButton({
      chatId: CHATS.ops,
      messageId: m.message_id,
      from: BOB,
      data: `ack:${episode}`,
    });
    expect(await press.answered).toEqual({ text: '✋ Acknowledged', show_alert: false });
    expect(acks.at(-1)).toMatchObject({ by: 'telegram:1002', is_admin: false, episode_id: episode });
    const edited = h.fake.botMessages(CHATS.ops).find((x) => x.message_id === m.message_id)!;
    expect(edited.text).toContain('✋ Acknowledged by Bob (telegram:1002)');
    expect(edited.reply_markup?.inline_keyboard[0]?.map((b) => b.callback_data)).toEqual([
      `s1:${episode}`,
      `s24:${episode}`,
    ]);
    expect(pinged(edited)).not.toContain('id:1002');
  });

  it('Silence 1 h: refused for a member, done for a chat admin, and the message shows the silence', async () => {
    const { m, episode } = await alertMessage();
    const count = silences.length;
    const refused = h.fake.pressButton({
      chatId: CHATS.ops,
      messageId: m.message_id,
      from: BOB,
      data: `s1:${episode}`,
    });
    expect(await refused.answered).toMatchObject({
      show_alert: true,
      text: expect.stringContaining('Only the chat’s admins'),
    });
    expect(silences).toHaveLength(count);
    const done = h.fake.pressButton({
      chatId: CHATS.ops,
      messageId: m.message_id,
      from: ALICE,
      data: `s1:${episode}`,
    });
    expect(await done.answered).toMatchObject({ text: expect.stringContaining('Silenced for 1 h') });
    expect(silences.at(-1)).toMatchObject({ by: 'telegram:1001', duration_s: 3600 });
    expect(silences.at(-1)!.matchers).toContainEqual({
      name: 'rule',
      op: '=',
      value: 'ibc-client-expiry-warning',
    });
    const edited = h.fake.botMessages(CHATS.ops).find((x) => x.message_id === m.message_id)!;
    expect(edited.text).toMatch(/🔕 Silenced until .* by Alice \(telegram:1001\)/);
  });
});
