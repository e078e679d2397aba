import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultState, sampleAlert, serveDomainRpc } from '../../../packages/commands/test/domainsRpc.ts';
import { alertOf, notificationOf } from './fixtures.ts';
import { ALICE, delivered, type Harness, startHarness } from './harness.ts';

// Issue #8, defect 4 on Discord: user and chain text is shown inert, and every message says exactly who may be
// pinged (`allowed_mentions`): nobody for command replies, the configured and subscribed people for alerts.
let env: TestEnv;
let h: Harness;
const state = defaultState();
let rpc: ReturnType<typeof serveDomainRpc>;
const SUBSCRIBER = '300000000000000009';

/** Mention syntax Discord would act on, outside a zero-width-joined (neutralised) form. */
const LIVE = /@everyone|@here|<@!?\d+>|<@&\d+>|<#\d+>/g;
const live = (v: unknown) => [...JSON.stringify(v).matchAll(LIVE)].map((m) => m[0]);

beforeAll(async () => {
  env = await testEnv('discord-mentions');
  h = await startHarness(env, ({ roles }) => ({ mentions: [`role:${roles.oncall}`] }));
  rpc = serveDomainRpc(h.nc, env.subjects, state);
});
afterAll(async () => {
  rpc?.stop();
  await h?.stop();
  await env.cleanup();
});

const posts = () => h.fake.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));

describe('no live mention from user or chain text on Discord', () => {
  it('$alerts @everyone: the reply shows it inert and allows no mention at all', async () => {
    state.alerts = [sampleAlert({ summary: 'low <@&1> <@200000000000000002> @here' })];
    for (const line of ['$alerts @everyone', '$alerts <@200000000000000002>', '$alerts']) {
      const before = posts().length;
      const sent = h.fake.dispatchMessageCreate({
        channel_id: h.channels.alerts,
        content: line,
        author: ALICE,
      });
      await eventually(
        () => h.fake.messages(h.channels.alerts).find((m) => m.message_reference?.message_id === sent.id),
        10_000,
        `the reply to ${line}`,
      );
      const request = posts().slice(before).at(-1)!;
      const body = request.body as { content?: string; embeds: unknown[]; allowed_mentions: unknown };
      expect(body.allowed_mentions, line).toMatchObject({ parse: [] });
      expect((body.allowed_mentions as { users?: string[] }).users ?? [], line).toEqual([]);
      expect((body.allowed_mentions as { roles?: string[] }).roles ?? [], line).toEqual([]);
      expect(live(body.embeds), line).toEqual([]);
      expect(body.content ?? '', line).toBe('');
    }
  });

  it('an alert with hostile chain text pings only the configured role and the subscriber', async () => {
    const n = notificationOf({ mentions: [`discord:${SUBSCRIBER}`] }, [
      alertOf({
        summary: 'memo @everyone <@200000000000000002>',
        chain_id: 'evil-<#100>',
        labels: { rule: 'r', memo: '<@&999> @here' },
      }),
    ]);
    await h.publish(n);
    await delivered(h, n.key);
    const request = posts().find((r) => JSON.stringify(r.body).includes('memo @'))!;
    const body = request.body as {
      content?: string;
      embeds: unknown[];
      allowed_mentions: { parse: string[]; users: string[]; roles: string[] };
    };
    expect(body.allowed_mentions).toMatchObject({ parse: [], users: [SUBSCRIBER], roles: [h.roles.oncall] });
    expect(live(body.embeds)).toEqual([]);
    expect(new Set(live(body.content))).toEqual(new Set([`<@&${h.roles.oncall}>`, `<@${SUBSCRIBER}>`]));
  });
});
