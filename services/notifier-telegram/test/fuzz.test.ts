import { parseHtml, type TgUser } from '@tocsin/chat-fakes';
import type { CommandReply } from '@tocsin/commands';
import type { Notification } from '@tocsin/events';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DomainState,
  defaultState,
  sampleAlert,
  serveDomainRpc,
} from '../../../packages/commands/test/domainsRpc.ts';
import { renderCommandReply } from '../src/chat.ts';
import { decodeCallback, renderMessage, renderReply } from '../src/index.ts';
import { digestState, type RenderOptions } from '../src/render.ts';
import { CHATS, firing, type Harness, ONCALL, pinged, startHarness } from './harness.ts';

// Whatever users type and chains say, nothing Telegram would parse as a mention comes from that text: the only
// live mentions are tocsin's tg://user links for configured users and the alert's Telegram subscribers.
const E2E_RUNS = 150;
const RUNS = 1000;
const HOSTILE = [
  '@alice_ops',
  '@everyone',
  '@@bob_relays',
  'x@alice_ops',
  '<a href="tg://user?id=666">boss</a>',
  '<a href=tg://user?id=666>',
  'tg://user?id=666',
  '</code>',
  '<b>',
  '&lt;',
  '&',
  '"',
  "'",
  '`',
  '``@alice_ops``',
  '/help@tocsin_test_bot',
  '\u2060@carol_x',
];

let h: Harness;
let state: DomainState;
let rpc: ReturnType<typeof serveDomainRpc>;

const word = fc.oneof(
  fc.constantFrom(
    ...HOSTILE,
    'help',
    'alerts',
    'ack',
    'silence',
    'silences',
    'unsilence',
    'data',
    'wallets',
    'register',
    'deregister',
    'recheck',
    'mine',
    '1h',
    '-5m',
    'chain_id=cosmoshub-4',
    'chain_id=~(',
    'cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl',
  ),
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);
const command = fc.constantFrom(
  'help',
  'alerts',
  'ack',
  'silence',
  'silences',
  'unsilence',
  'data',
  'wallets',
  'register',
  'deregister',
  'recheck',
  'nosuch',
);
const commandLine = fc
  .tuple(command, fc.array(word, { maxLength: 5 }))
  .map(([c, w]) => `/${c} ${w.join(' ')}`.trim());

beforeAll(async () => {
  h = await startHarness('telegram-fuzz');
  state = defaultState();
  state.alerts = [
    sampleAlert({
      summary: 'low balance @alice_ops <a href="tg://user?id=666">x</a>',
      chain_id: '@everyone',
    }),
    sampleAlert({
      episode_id: '01JD4Y7ZKQ3M8V2N5P6R7S8T9W',
      summary: '@bob_relays memo',
      acknowledged: { by: 'telegram:1002', at: '2026-11-21T12:00:00.000Z' },
    }),
  ];
  rpc = serveDomainRpc(h.nc, h.env.subjects, state);
});
afterAll(async () => {
  rpc?.stop();
  await h?.close();
});

describe('fuzz: commands through the real grammY and the fake Bot API', () => {
  it(`${E2E_RUNS} command lines: always a reply, never a live mention`, async () => {
    const users: TgUser[] = [
      { id: 2001, is_bot: false, first_name: '@alice_ops', username: 'mallory_x' },
      { id: 2002, is_bot: false, first_name: '<a href="tg://user?id=666">x</a>' },
    ];
    let i = 0;
    await fc.assert(
      fc.asyncProperty(commandLine, async (text) => {
        if (state.silences.length > 20) state.silences.length = 1;
        const from = users[i++ % users.length]!;
        const u = h.fake.sendUserMessage({ chatId: CHATS.ops, from, text });
        const id = u.message!.message_id;
        const deadline = Date.now() + 30_000;
        let reply = h.fake.botMessages(CHATS.ops).find((m) => m.reply_to_message?.message_id === id);
        while (!reply && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 10));
          reply = h.fake.botMessages(CHATS.ops).find((m) => m.reply_to_message?.message_id === id);
        }
        expect(reply, `a reply to ${JSON.stringify(text)}`).toBeDefined();
        expect(pinged(reply!), text).toEqual([]);
      }),
      { numRuns: E2E_RUNS },
    );
    // Telegram refused nothing the bot sent (bad HTML would be a 400).
    expect(h.fake.requests({ method: 'sendMessage' }).filter((r) => r.status !== 200)).toEqual([]);
  });
});

const hostileText = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 40 }));
const owner = fc.oneof(
  fc.constantFrom(
    'telegram:1002',
    'telegram:77',
    'discord:123',
    'slack:U0X',
    'telegram:1002>',
    'telegram:@x',
  ),
  hostileText,
);
const notification = fc
  .record({
    summary: hostileText,
    description: hostileText,
    chain: hostileText,
    label: fc.tuple(hostileText, hostileText),
    owners: fc.array(owner, { maxLength: 4 }),
    mentions: fc.array(owner, { maxLength: 2 }),
    transition: fc.constantFrom(
      'firing',
      'repeat',
      'escalated',
      'resolved',
      'acknowledged',
      'notice' as const,
    ),
    ackBy: fc.option(hostileText, { nil: null }),
    link: fc.record({ title: hostileText, url: fc.oneof(hostileText, fc.webUrl()) }),
  })
  .map((r): Notification => {
    const n = firing(
      { transition: r.transition as Notification['transition'], mentions: r.mentions },
      {
        summary: r.summary,
        description: r.description,
        chain_id: r.chain,
        labels: { rule: 'r', [r.label[0] || 'k']: r.label[1] },
        mentions: r.owners,
        links: [r.link],
        acknowledged: r.ackBy === null ? null : { by: r.ackBy, at: new Date().toISOString() },
      },
    );
    return n;
  });
const options: RenderOptions = {
  mentions: [ONCALL],
  explorers: [{ label: 'address', url: 'https://x.io/{value}', title: '@alice_ops' }],
  dashboardUrl: 'https://g.io/{episode_id}',
};
/** Who may be pinged by a notification: the configured users and its telegram:<digits> subscribers. */
const allowed = (ns: Notification[]) =>
  new Set([
    `id:${ONCALL}`,
    ...ns
      .flatMap((n) => [...n.mentions, ...n.alerts.flatMap((a) => a.mentions)])
      .flatMap((o) => {
        const m = /^telegram:(\d+)$/.exec(o);
        return m ? [`id:${Number(m[1])}`] : [];
      }),
  ]);

function check(html: string, ok: Set<string>) {
  const parsed = parseHtml(html);
  expect(parsed.text.length).toBeLessThanOrEqual(4096);
  for (const who of pinged({
    ...parsed,
    message_id: 0,
    date: 0,
    chat: { id: 1, type: 'private' },
    from: { id: 1, is_bot: true, first_name: 'b' },
  })) {
    expect(ok.has(who), `${who} pinged by ${html}`).toBe(true);
  }
}

describe('fuzz: alert rendering', () => {
  it(`${RUNS} hostile notifications: valid Telegram HTML, pings only configured users and Telegram subscribers`, () => {
    fc.assert(
      fc.property(notification, (n) => {
        check(renderMessage({ notification: n }, options), allowed([n]));
        check(renderReply(n, options), allowed([n]));
      }),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS / 10} digests of many hostile notifications stay within Telegram's limits`, () => {
    fc.assert(
      fc.property(fc.array(notification, { minLength: 2, maxLength: 60 }), (ns) => {
        check(renderMessage(digestState(ns), options), allowed(ns));
      }),
      { numRuns: RUNS / 10 },
    );
  });

  it(`${RUNS} command replies: valid HTML without any mention`, () => {
    const reply = fc.record({
      title: fc.option(hostileText, { nil: undefined }),
      text: fc.option(hostileText, { nil: undefined }),
      fields: fc.option(fc.array(fc.record({ name: hostileText, value: hostileText }), { maxLength: 30 }), {
        nil: undefined,
      }),
    });
    fc.assert(
      fc.property(reply, (r) => check(renderCommandReply(r as CommandReply), new Set())),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} callback data decode to an action or to nothing, never throw`, () => {
    fc.assert(
      fc.property(fc.string(), (s) => void decodeCallback(s)),
      { numRuns: RUNS },
    );
  });
});
