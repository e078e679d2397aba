import { CommandRegistry } from '@tocsin/commands';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../src/blocks.ts';
import { renderCommandReply, toMrkdwn } from '../src/reply.ts';
import { slackSignature, verifySlackRequest } from '../src/signature.ts';

describe('renderCommandReply', () => {
  it('renders a usage reply as an ephemeral response, with <args> escaped rather than turned into links', () => {
    const reg = new CommandRegistry('/tocsin ').register({
      name: 'register',
      summary: 'Subscribe to a wallet',
      args: [
        { name: 'wallet', description: 'address', type: 'string', required: true },
        { name: 'threshold', description: 'in display units', type: 'number', required: true },
      ],
      examples: ['register cosmos1abc 2'],
      run: async () => ({ text: 'ok' }),
    });
    const parsed = reg.parse('/tocsin register cosmos1abc two');
    expect(parsed?.ok).toBe(false);
    const res = renderCommandReply(parsed!.ok ? { text: '' } : parsed!.reply);
    expect(res).toEqual({
      response_type: 'ephemeral',
      text: expect.stringContaining('Usage: `/tocsin register &lt;wallet&gt; &lt;threshold&gt;`'),
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: '⚠️ */tocsin register*', verbatim: true } },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: [
              '`threshold` must be a number, got "two"',
              '',
              'Usage: `/tocsin register &lt;wallet&gt; &lt;threshold&gt;`',
              '• `wallet`: address',
              '• `threshold`: in display units',
              '',
              'Example:',
              '`/tocsin register cosmos1abc 2`',
            ].join('\n'),
            verbatim: true,
          },
        },
      ],
    });
  });

  it('renders help fields, inline fields as columns, and public replies in the channel', () => {
    const res = renderCommandReply({
      title: 'Wallets',
      fields: [
        { name: 'cosmos1abc', value: '**2.5 ATOM**', inline: true },
        { name: 'osmo1xyz', value: '[explorer](https://mintscan.io/osmo1xyz)', inline: true },
        { name: 'Note', value: 'balances refresh every 30s' },
      ],
    });
    expect(res.response_type).toBe('in_channel');
    expect(res.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'Wallets', emoji: true } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*cosmos1abc*\n*2.5 ATOM*', verbatim: true },
          { type: 'mrkdwn', text: '*osmo1xyz*\n<https://mintscan.io/osmo1xyz|explorer>', verbatim: true },
        ],
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '*Note*\nbalances refresh every 30s', verbatim: true },
      },
    ]);
  });

  it('shows pages while they fit in 50 blocks and counts the rest', () => {
    const pages = Array.from({ length: 40 }, (_, i) => ({
      title: `IBC clients (${i + 1})`,
      fields: Array.from({ length: 10 }, (_, j) => ({
        name: `07-tendermint-${i * 10 + j}`,
        value: 'Active',
        inline: true,
      })),
    }));
    const res = renderCommandReply({ title: 'IBC clients', pages, ephemeral: true });
    expect(res.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    const last = res.blocks.at(-1);
    expect(last).toMatchObject({ type: 'context' });
    expect(JSON.stringify(last)).toMatch(/\d+ more pages not shown/);
    expect(JSON.stringify(res.blocks)).toContain('Page 1 of 40');
  });

  it('converts chat markdown to mrkdwn, escaping mentions and turning $command hints into /tocsin', () => {
    expect(toMrkdwn('**bold** __it__ ~~gone~~ [a](https://x.io/?a=1&b=2) `<code>`')).toBe(
      '*bold* _it_ ~gone~ <https://x.io/?a=1&amp;b=2|a> `&lt;code&gt;`',
    );
    // A reply carries user and chain text: nothing in it may become a mention, a channel link or a link.
    expect(
      toMrkdwn('by <@U0ALICE> in <#C0ALERTS>, cc <!here> <!channel> <!subteam^S0OPS> <https://x.io|y>'),
    ).toBe(
      'by &lt;@U0ALICE&gt; in &lt;#C0ALERTS&gt;, cc &lt;!here&gt; &lt;!channel&gt; &lt;!subteam^S0OPS&gt; &lt;https://x.io|y&gt;',
    );
    expect(toMrkdwn('[a|<!channel>](https://x.io/|<!here>)')).toBe(
      '<https://x.io/%7C&lt;!here&gt;|a¦&lt;!channel&gt;>',
    );
    expect(toMrkdwn('Acknowledge with `$ack <id>`; costs $5')).toBe(
      'Acknowledge with `/tocsin ack &lt;id&gt;`; costs $5',
    );
  });
});

describe('verifySlackRequest', () => {
  // The example from Slack's documentation (https://docs.slack.dev/authentication/verifying-requests-from-slack).
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const body =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  const ts = '1531420618';
  const sig = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
  const now = Number(ts) * 1000;

  it("accepts Slack's documented example", () => {
    expect(slackSignature(secret, ts, body)).toBe(sig);
    expect(
      verifySlackRequest({ signingSecret: secret, rawBody: body, timestamp: ts, signature: sig, nowMs: now }),
    ).toEqual({ ok: true });
  });

  it('rejects a tampered body, a wrong secret, a stale or future timestamp, and missing headers', () => {
    const check = (o: Partial<Parameters<typeof verifySlackRequest>[0]>) =>
      verifySlackRequest({
        signingSecret: secret,
        rawBody: body,
        timestamp: ts,
        signature: sig,
        nowMs: now,
        ...o,
      });
    expect(check({ rawBody: `${body}&x=1` })).toEqual({ ok: false, reason: 'bad signature' });
    expect(check({ signingSecret: 'other' })).toEqual({ ok: false, reason: 'bad signature' });
    expect(check({ signature: 'v0=abc' })).toEqual({ ok: false, reason: 'bad signature' });
    expect(check({ nowMs: now + 301_000 })).toEqual({ ok: false, reason: 'stale timestamp' });
    expect(check({ nowMs: now - 301_000 })).toEqual({ ok: false, reason: 'stale timestamp' });
    expect(check({ nowMs: now + 299_000 })).toEqual({ ok: true });
    expect(check({ timestamp: undefined })).toEqual({ ok: false, reason: 'missing or malformed timestamp' });
    expect(check({ timestamp: '12ab' })).toEqual({ ok: false, reason: 'missing or malformed timestamp' });
    expect(check({ signature: undefined })).toEqual({ ok: false, reason: 'missing or malformed signature' });
  });
});
