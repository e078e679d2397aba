import { slashCommandBody } from '@tocsin/chat-fakes';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type DomainState,
  defaultState,
  sampleAlert,
  serveDomainRpc,
} from '../../../packages/commands/test/domainsRpc.ts';
import { CHANNELS, firing, type Harness, startHarness } from './harness.ts';
import { HOSTILE, liveMentions } from './liveMentions.ts';

// Issue #8, defect 4: user and chain text came back as live mentions (`/tocsin alerts <!channel>` pinged the
// channel; a silence whose matcher carried `<!everyone>` pinged on every `/tocsin silences`).
let h: Harness;
let state: DomainState;
let rpc: ReturnType<typeof serveDomainRpc>;
/** The one mention the harness configures (`subteam:S0ONCALL`): the only one allowed to be live. */
const CONFIGURED = '<!subteam^S0ONCALL>';

beforeAll(async () => {
  h = await startHarness('slack-mentions');
  state = defaultState();
  rpc = serveDomainRpc(h.nc, h.env.subjects, state);
});
afterAll(async () => {
  rpc?.stop();
  await h?.close();
});
beforeEach(() => {
  Object.assign(state, defaultState());
});

async function command(text: string, user = 'U0ALICE'): Promise<unknown> {
  const body = slashCommandBody({
    command: '/tocsin',
    text,
    user: { id: user },
    channel: { id: CHANNELS.alerts },
  });
  const res = await h.post('/slack/commands', body);
  expect(res.status).toBe(200);
  return res.json();
}

describe('no live mention from user or chain text', () => {
  it('/tocsin alerts <!channel> answers without a live mention', async () => {
    for (const filter of HOSTILE) {
      const reply = await command(`alerts ${filter}`);
      expect(JSON.stringify(reply)).toContain('No firing alerts on');
      expect(liveMentions(reply), filter).toEqual([]);
    }
  });

  it('a silence whose matcher carries <!everyone> is listed by /tocsin silences without a live mention', async () => {
    state.silences.push({
      id: 'sil-hostile',
      matchers: [
        { name: 'chain_id', op: '=', value: '<!everyone>' },
        { name: 'memo', op: '=~', value: '<@U0EVE>|<!here>' },
      ],
      starts_at: '2026-11-21T12:00:00.000Z',
      ends_at: '2026-11-21T14:00:00.000Z',
      author: 'slack:U0ALICE> <!channel',
      reason: '<!channel>',
      created_at: '2026-11-21T12:00:00.000Z',
    });
    const reply = await command('silences');
    expect(JSON.stringify(reply)).toContain('&lt;!everyone&gt;');
    expect(liveMentions(reply)).toEqual([]);
    // And silencing with such a matcher echoes it back inert.
    const made = await command('silence 1h chain_id=<!everyone> memo=<@U0EVE>');
    expect(JSON.stringify(made)).toContain('Silenced');
    expect(liveMentions(made)).toEqual([]);
  });

  it('alerts listed with hostile summaries, chain ids and acknowledgers show no live mention', async () => {
    state.alerts = [
      sampleAlert({
        summary: 'balance low <!channel> <@U0EVE>',
        chain_id: '<!here>',
        acknowledged: { by: 'slack:U0BOB', at: '2026-11-21T12:00:00.000Z' },
      }),
    ];
    const reply = await command('alerts');
    expect(JSON.stringify(reply)).toContain('balance low &lt;!channel&gt;');
    // Even a real acknowledger is named, not pinged, in a listing read again and again.
    expect(JSON.stringify(reply)).toContain('slack:U0BOB');
    expect(liveMentions(reply)).toEqual([]);
  });

  it('an alert built from hostile chain data is posted with the configured mention only', async () => {
    const n = firing(
      {},
      {
        summary: 'memo said <!channel> hi <@U0EVE>',
        description: 'from <!everyone> & <!subteam^S0EVIL>',
        chain_id: 'evil-<!here>',
        rule_id: 'rule-<!channel>',
        labels: { memo: '<!channel>', '<!here>': 'x', client_id: '<#C0SECRET>' },
        links: [{ title: '<!channel>', url: 'https://example.org/a|<!here>' }],
        acknowledged: null,
      },
    );
    await h.publisher.publishNotification(n);
    const posted = await eventually(
      () =>
        h.fake
          .requests({ method: 'chat.postMessage', channel: CHANNELS.alerts })
          .find((r) => JSON.stringify(r.args).includes(n.alerts[0]!.episode_id)),
      15_000,
      'the alert posted',
    );
    const { text, blocks } = posted!.args as { text: unknown; blocks: unknown };
    const live = liveMentions({ text, blocks });
    expect(live.length).toBeGreaterThan(0);
    expect(new Set(live)).toEqual(new Set([CONFIGURED]));
    expect(text).toContain('memo said &lt;!channel&gt; hi &lt;@U0EVE&gt;');
    expect(JSON.stringify(blocks)).toContain('from &lt;!everyone&gt; &amp; &lt;!subteam^S0EVIL&gt;');
  });
});
