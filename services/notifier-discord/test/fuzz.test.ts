import { type Caller, defaultCommands } from '@tocsin/commands';
import type { Notification } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DomainState,
  defaultState,
  sampleAlert,
  serveDomainRpc,
} from '../../../packages/commands/test/domainsRpc.ts';
import { renderCard } from '../src/render/card.ts';
import { renderCommandReply } from '../src/render/commandReply.ts';
import { decodeButton } from '../src/render/customIds.ts';
import { alertOf, notificationOf } from './fixtures.ts';

// Fuzzing Discord's edges (issue #8): whatever a user types and whatever text chains put in alerts, nothing
// crashes, a command always gets a reply, and nothing but the configured and subscribed people can be pinged.
const RUNS = 1000;
const HOSTILE = [
  '@everyone',
  '@here',
  '<@200000000000000002>',
  '<@!200000000000000002>',
  '<@&1>',
  '<#100>',
  '</ack:1>',
];
/** Mention syntax Discord acts on (the neutralised forms carry a zero-width joiner and do not match). */
const LIVE = /@everyone|@here|<@!?\d+>|<@&\d+>|<#\d+>|<\/[^>]+:\d+>/g;
const live = (v: unknown) => [...JSON.stringify(v ?? '').matchAll(LIVE)].map((m) => m[0]);

let env: TestEnv;
let nc: Awaited<ReturnType<TestEnv['nats']>>;
let state: DomainState;
let rpc: ReturnType<typeof serveDomainRpc>;

beforeAll(async () => {
  env = await testEnv('discord-fuzz');
  nc = await env.nats();
  state = defaultState();
  state.alerts = [
    sampleAlert({ summary: 'memo @everyone <@200000000000000002>', chain_id: '<#100>' }),
    sampleAlert({
      episode_id: '01JD4Y7ZKQ3M8V2N5P6R7S8T9W',
      acknowledged: { by: '<@&1> @here', at: '2026-11-21T12:00:00.000Z' },
    }),
  ];
  rpc = serveDomainRpc(nc, env.subjects, state);
});
afterAll(async () => {
  rpc?.stop();
  await env?.cleanup();
});

const word = fc.oneof(
  fc.constantFrom(
    ...HOSTILE,
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
    'subscribe',
    'unsubscribe',
    'subscriptions',
    'hourly',
    'source:cosmos-ibc',
    'help',
    '1h',
    'chain_id=cosmoshub-4',
    'label=~(',
    '"',
    '$',
  ),
  fc.string({ maxLength: 24 }),
);

describe('fuzz: Discord text commands', () => {
  it(`${RUNS} lines: a reply for every command, rendered with no live mention and allowing none`, async () => {
    const registry = defaultCommands('$');
    const caller: Caller = { owner: 'discord:200000000000000001', isAdmin: false, platform: 'discord' };
    await fc.assert(
      fc.asyncProperty(fc.array(word, { maxLength: 6 }), async (words) => {
        if (state.silences.length > 40) state.silences.length = 0;
        const line = `$${words.join(' ')}`;
        const parsed = registry.parse(line);
        // Not a command at all (`$` alone, `$ ` …): the bot stays silent, as it does for any other message.
        if (!parsed) return;
        const reply = await registry.run(parsed, { nc, subjects: env.subjects, caller });
        const body = renderCommandReply(reply, { page: 0, line: line.slice(1) });
        expect(body.embeds).toHaveLength(1);
        expect(body.embeds[0]!.title || body.embeds[0]!.description).toBeTruthy();
        expect(body.allowed_mentions).toEqual({ parse: [] });
        expect(live(body.embeds)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} button custom ids decode to an action or to nothing, never throw`, () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (id) => {
        decodeButton(id);
      }),
      { numRuns: RUNS },
    );
  });
});

const text = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 40 }));
const owner = fc.oneof(
  fc.constantFrom('discord:300000000000000009', 'role:400', 'slack:U1', 'discord:<@1>'),
  text,
);

describe('fuzz: Discord alert cards from hostile chain text', () => {
  it(`${RUNS} notifications: embeds show no live mention; only configured and subscribed people are allowed`, () => {
    const configured = ['role:777', '<@888>'];
    fc.assert(
      fc.property(
        fc.record({
          summary: text,
          description: text,
          chain_id: text,
          rule_id: text,
          labels: fc.dictionary(text, text, { maxKeys: 14 }),
          ackBy: fc.option(owner, { nil: null }),
          mentions: fc.array(owner, { maxLength: 3 }),
          transition: fc.constantFrom('firing', 'repeat', 'escalated', 'resolved', 'acknowledged', 'notice'),
        }),
        (r) => {
          const n: Notification = notificationOf(
            { mentions: r.mentions, transition: r.transition as Notification['transition'] },
            [
              alertOf({
                summary: r.summary,
                description: r.description,
                chain_id: r.chain_id,
                rule_id: r.rule_id,
                labels: { ...r.labels, rule: r.rule_id },
                acknowledged: r.ackBy ? { by: r.ackBy, at: '2026-11-21T12:00:00.000Z' } : null,
              }),
            ],
          );
          const subscribers = r.mentions.filter((m) => /^discord:\d+$/.test(m)).map((m) => m.slice(8));
          // Owners the alerter put on the notification (subscribers, escalation roles): the only ones besides config.
          const roles = r.mentions.flatMap((m) => {
            const x = /^(?:<@&(\d+)>|role:(\d+))$/.exec(m);
            return x ? [(x[1] ?? x[2])!] : [];
          });
          for (const body of renderCard(
            { notifications: [n], refs: ['r1'] },
            { mentions: configured, explorers: [], buttons: true },
          )) {
            // Embeds never ping; they name a verified acknowledger (`discord:<id>`) as a user, nothing else.
            const named = /^discord:(\d+)$/.exec(r.ackBy ?? '')?.[1];
            const role = /^role:(\d+)$/.exec(r.ackBy ?? '')?.[1];
            const verified = [named && `<@${named}>`, role && `<@&${role}>`].filter(Boolean);
            for (const token of live(body.embeds)) expect(verified).toContain(token);
            const allowed = body.allowed_mentions!;
            expect(allowed.parse).toEqual([]);
            for (const u of allowed.users) expect(['888', ...subscribers]).toContain(u);
            for (const role of allowed.roles) expect(['777', ...roles]).toContain(role);
            // What the content tags is exactly what is allowed.
            for (const token of live(body.content)) {
              const id = /\d+/.exec(token)![0];
              expect(token.startsWith('<@&') ? allowed.roles : allowed.users).toContain(id);
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
