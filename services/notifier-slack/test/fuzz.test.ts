import { blockActionsPayload, interactionFormBody, slashCommandBody } from '@tocsin/chat-fakes';
import type { Notification } from '@tocsin/events';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DomainState,
  defaultState,
  sampleAlert,
  serveDomainRpc,
} from '../../../packages/commands/test/domainsRpc.ts';
import { ACTION, decodeAction, renderMessage, renderNotification, renderThreadReply } from '../src/index.ts';
import { digestState } from '../src/render.ts';
import { CHANNELS, firing, type Harness, startHarness } from './harness.ts';
import { HOSTILE, liveMentions } from './liveMentions.ts';

// Fuzzing at Slack's edges (issue #8): whatever a user types or clicks, and whatever text chains put in alerts,
// nothing crashes, every request gets an answer or a clear error, and no live mention comes from that text.
const RUNS = 1000;
const CONFIGURED = ['<!subteam^S0ONCALL>'];

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
    'maintenance',
    'tue',
    '14:00-15:00',
    'Europe/Zurich',
    '--',
    'data',
    'wallets',
    'register',
    'deregister',
    'recheck',
    'mine',
    '1h',
    '0s',
    '-5m',
    '999999d',
    'chain_id=cosmoshub-4',
    'chain_id=~(',
    'x!~<!here>',
    '"',
    "'",
    '$alerts',
    '**',
    '[a](https://x.io)',
    '`',
  ),
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);
const commandLine = fc.array(word, { maxLength: 6 }).map((w) => w.join(' '));

function hostileState(): DomainState {
  const s = defaultState();
  s.alerts = [
    sampleAlert({ summary: 'low balance <!channel> @here', chain_id: '<!everyone>' }),
    sampleAlert({
      episode_id: '01JD4Y7ZKQ3M8V2N5P6R7S8T9W',
      summary: '<@U0EVE> memo',
      acknowledged: { by: 'slack:U0X> <!here', at: '2026-11-21T12:00:00.000Z' },
    }),
  ];
  s.silences = [
    {
      id: 'sil-x',
      matchers: [{ name: 'chain_id', op: '=', value: '<!everyone>' }],
      starts_at: '2026-11-21T12:00:00.000Z',
      ends_at: '2026-11-21T14:00:00.000Z',
      author: '<!channel>',
      reason: '<!here>',
      created_at: '2026-11-21T12:00:00.000Z',
    },
  ];
  return s;
}

beforeAll(async () => {
  h = await startHarness('slack-fuzz');
  state = hostileState();
  rpc = serveDomainRpc(h.nc, h.env.subjects, state);
});
afterAll(async () => {
  rpc?.stop();
  await h?.close();
});

describe('fuzz: /tocsin over HTTP', () => {
  it(`${RUNS} command lines: always a 200 answer with text, never a live mention`, async () => {
    await fc.assert(
      fc.asyncProperty(commandLine, fc.stringMatching(/^[UW][A-Z0-9]{2,10}$/), async (text, user) => {
        // Silences pile up across runs; the listing stays bounded.
        if (state.silences.length > 40) state.silences.length = 1;
        const body = slashCommandBody({
          command: '/tocsin',
          text,
          user: { id: user },
          channel: { id: CHANNELS.alerts },
        });
        const res = await h.post('/slack/commands', body);
        expect(res.status).toBe(200);
        const answer = (await res.json()) as { text?: unknown; response_type?: unknown };
        expect(typeof answer.text === 'string' && answer.text.length > 0).toBe(true);
        expect(['ephemeral', 'in_channel']).toContain(answer.response_type);
        expect(liveMentions(answer)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});

/** Interaction payloads: arbitrary JSON, near-valid block_actions with random buttons and values, or junk. */
const interaction = fc.oneof(
  fc.jsonValue().map((v) => interactionFormBody({ v } as Record<string, unknown>)),
  fc.jsonValue().map((v) => new URLSearchParams({ payload: JSON.stringify(v) }).toString()),
  fc.string().map((s) => new URLSearchParams({ payload: s }).toString()),
  fc.string(),
  fc
    .record({
      actionId: fc.constantFrom(ACTION.ack, ACTION.silence1h, ACTION.silence24h, 'other'),
      value: fc.oneof(
        fc.string(),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.array(fc.constantFrom(...HOSTILE), { maxLength: 3 }).map((e) => JSON.stringify({ e, f: e[0] })),
        fc
          .array(fc.tuple(fc.constantFrom('rule', 'chain_id', '<!here>'), fc.constantFrom(...HOSTILE)), {
            maxLength: 3,
          })
          .map((m) => JSON.stringify({ m })),
      ),
      user: fc.constantFrom('U0ALICE', '<!channel>', ''),
    })
    .map((r) =>
      interactionFormBody(
        blockActionsPayload({
          actionId: r.actionId,
          value: r.value,
          user: { id: r.user, username: '<!here>' },
          channel: { id: CHANNELS.alerts },
          message: { ts: '1700000000.000100' },
        }),
      ),
    ),
);

describe('fuzz: Slack interaction payloads over HTTP', () => {
  it(`${RUNS} payloads: 200, or a 400 (409 for a replay) that says why, never a crash; nothing posted carries a live mention`, async () => {
    const firstRequest = h.fake.requests().length;
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(interaction, async (body) => {
        const res = await h.post('/slack/interactions', body);
        // The same bytes at the same (test clock) second are a replay: refused, as they should be.
        expect(res.status).toBe(seen.has(body) ? 409 : res.status === 400 ? 400 : 200);
        seen.add(body);
        if (res.status !== 200) expect((await res.json()) as unknown).toEqual({ error: expect.any(String) });
      }),
      { numRuns: RUNS },
    );
    // The service still answers.
    const ok = await h.post(
      '/slack/commands',
      slashCommandBody({
        command: '/tocsin',
        text: 'help',
        user: { id: 'U0ALICE' },
        channel: { id: CHANNELS.alerts },
      }),
    );
    expect(ok.status).toBe(200);
    const sent = h.fake.requests().slice(firstRequest);
    for (const r of sent)
      expect(liveMentions({ text: r.args.text, blocks: r.args.blocks }), r.method).toEqual([]);
  });

  it(`${RUNS} button ids and values decode to an action or to nothing, never throw`, () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), (id, value) => {
        decodeAction(id, value);
      }),
      { numRuns: RUNS },
    );
  });
});

/** An alert notification whose every text field is hostile or arbitrary. */
const hostileText = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 40 }));
const owner = fc.oneof(
  fc.constantFrom('slack:U0SUB', 'slack:W0SUB2', 'discord:123', 'slack:U0X> <!channel', 'slack:<!here>'),
  hostileText,
);
const notification = fc
  .record({
    summary: hostileText,
    description: hostileText,
    chain_id: hostileText,
    rule_id: hostileText,
    labels: fc.dictionary(hostileText, hostileText, { maxKeys: 14 }),
    links: fc.array(fc.record({ title: hostileText, url: fc.oneof(fc.webUrl(), hostileText) }), {
      maxLength: 3,
    }),
    ackBy: fc.option(owner, { nil: null }),
    mentions: fc.array(owner, { maxLength: 3 }),
    transition: fc.constantFrom(
      'firing',
      'repeat',
      'escalated',
      'resolved',
      'acknowledged',
      'retracted',
      'notice',
    ),
    count: fc.integer({ min: 1, max: 3 }),
  })
  .map((r): Notification => {
    const base = firing(
      { mentions: r.mentions, transition: r.transition as Notification['transition'], source: r.rule_id },
      {
        summary: r.summary,
        description: r.description,
        chain_id: r.chain_id,
        rule_id: r.rule_id,
        labels: r.labels,
        links: r.links,
        acknowledged: r.ackBy ? { by: r.ackBy, at: '2026-11-21T12:00:00.000Z' } : null,
        mentions: r.mentions,
      },
    );
    const alerts = Array.from({ length: r.count }, (_, i) => ({
      ...base.alerts[0]!,
      episode_id: `${i}${base.alerts[0]!.episode_id.slice(1)}`,
    }));
    return { ...base, alerts, group: { key: 'g', labels: r.labels } };
  });

/** Live mentions the renderers may add: the configured ones, and Slack users the notification names. */
function allowed(n: Notification): Set<string> {
  const owners = [...n.mentions, ...n.alerts.flatMap((a) => [...a.mentions, a.acknowledged?.by ?? ''])];
  const users = owners.filter((o) => /^slack:[UW][A-Z0-9]{2,}$/.test(o)).map((o) => `<@${o.slice(6)}>`);
  return new Set([...CONFIGURED, ...users]);
}

describe('fuzz: alert messages from hostile chain text', () => {
  it(`${RUNS} notifications: the only live mentions are configured ones and the Slack users they name`, () => {
    const opts = { mentions: CONFIGURED };
    fc.assert(
      fc.property(notification, (n) => {
        const ok = allowed(n);
        const rendered = [
          renderNotification(n, opts),
          renderThreadReply(n, opts),
          renderMessage(digestState([n, { ...n, key: `${n.key}:2` }]), opts),
        ];
        for (const msg of rendered) {
          for (const token of liveMentions(msg)) expect(ok.has(token), token).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
