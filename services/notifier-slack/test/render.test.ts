import { notification as notificationSchema } from '@tocsin/events';
import { describe, expect, it } from 'vitest';
import { ACTION } from '../src/actions.ts';
import { LIMITS } from '../src/blocks.ts';
import { renderNotification } from '../src/render.ts';
import { expectWithinLimits, texts } from './blockKit.ts';
import { alertFixture, notificationFixture } from './fixtures.ts';

const opts = { mentions: [] as string[] };

describe('renderNotification: one alert', () => {
  it('renders the exact Block Kit payload (header, fields, links, context, buttons)', () => {
    const a = alertFixture({
      episode_id: '01JD0000000000000000000001',
      fingerprint: 'fpA',
      description: 'Update the client before <expiry> & keep the channel open.',
      links: [{ title: 'Mintscan', url: 'https://www.mintscan.io/cosmos' }],
      mentions: ['slack:U0ALICE', 'discord:1234'],
    });
    const n = notificationFixture({ created_at: '2026-11-21T12:00:05.000Z' }, [a]);
    const msg = renderNotification(n, { mentions: ['<!subteam^S0OPS>'] });
    expect(msg).toEqual({
      text: '🟠 Firing: client 07-tendermint-0 at 80% of its trusting period\n<!subteam^S0OPS> <@U0ALICE>',
      blocks: [
        {
          type: 'header',
          text: {
            type: 'plain_text',
            text: '🟠 Firing: client 07-tendermint-0 at 80% of its trusting period',
            emoji: true,
          },
        },
        { type: 'section', text: { type: 'mrkdwn', text: '<!subteam^S0OPS> <@U0ALICE>', verbatim: true } },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: 'Update the client before &lt;expiry&gt; &amp; keep the channel open.',
            verbatim: true,
          },
        },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Severity*\n🟠 warning', verbatim: true },
            { type: 'mrkdwn', text: '*Chain*\n`cosmoshub-4`', verbatim: true },
            { type: 'mrkdwn', text: '*Source*\ncosmos-ibc', verbatim: true },
            {
              type: 'mrkdwn',
              text: '*Started*\n<!date^1795262400^{date_short_pretty} {time}|2026-11-21T12:00:00.000Z>',
              verbatim: true,
            },
            { type: 'mrkdwn', text: '*Value*\n0.8', verbatim: true },
            { type: 'mrkdwn', text: '*client_id*\n`07-tendermint-0`', verbatim: true },
          ],
        },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '<https://www.mintscan.io/cosmos|Mintscan>', verbatim: true },
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: 'tocsin · <!date^1795262405^{date_short_pretty} {time}|2026-11-21T12:00:05.000Z> · rule `ibc-client-expiry-warning` · episode `01JD0000000000000000000001`',
              verbatim: true,
            },
          ],
        },
        {
          type: 'actions',
          block_id: 'tocsin_alert_actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Acknowledge', emoji: true },
              action_id: 'tocsin_ack',
              value: '{"e":["01JD0000000000000000000001"],"f":"fpA"}',
              style: 'primary',
            },
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Snooze 1h', emoji: true },
              action_id: 'tocsin_silence_1h',
              value:
                '{"m":[["rule","ibc-client-expiry-warning"],["chain_id","cosmoshub-4"],["client_id","07-tendermint-0"]]}',
            },
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Snooze 24h', emoji: true },
              action_id: 'tocsin_silence_24h',
              value:
                '{"m":[["rule","ibc-client-expiry-warning"],["chain_id","cosmoshub-4"],["client_id","07-tendermint-0"]]}',
              style: 'danger',
            },
          ],
        },
      ],
    });
  });

  it('tags configured and subscriber mentions only on transitions that call for action', () => {
    const a = alertFixture({ mentions: ['slack:U0BOB'] });
    for (const t of ['firing', 'repeat', 'escalated'] as const) {
      const msg = renderNotification(
        notificationFixture({ transition: t, mentions: ['slack:U0CAROL', 'role:42'] }, [a]),
        {
          mentions: ['<!here>'],
        },
      );
      expect(msg.text).toContain('<!here> <@U0CAROL> <@U0BOB>');
    }
    const resolved = renderNotification(
      notificationFixture({ transition: 'resolved' }, [
        { ...a, state: 'resolved', resolved_at: '2026-11-21T14:03:00.000Z' },
      ]),
      { mentions: ['<!here>'] },
    );
    expect(resolved.text).not.toContain('<!here>');
    expect(resolved.text).not.toContain('U0BOB');
  });

  it("a subscriber's digest (a notice) tags its owner only, not the configured mentions", () => {
    const digest = {
      owner: 'slack:U0ALICE',
      cadence: 'hourly' as const,
      period_start: '2026-11-21T10:00:00.000Z',
      period_end: '2026-11-21T11:00:00.000Z',
    };
    const msg = renderNotification(
      notificationFixture({ transition: 'notice', mentions: ['slack:U0ALICE'], digest }, [
        alertFixture({ mentions: ['slack:U0BOB'] }),
      ]),
      { mentions: ['<!here>'] },
    );
    expect(msg.text).toContain('<@U0ALICE>');
    expect(msg.text).not.toContain('<!here>');
    expect(msg.text).not.toContain('U0BOB');
    const other = renderNotification(
      notificationFixture({ transition: 'notice', digest: { ...digest, owner: 'discord:1' } }),
      { mentions: ['<!here>'] },
    );
    expect(other.text).not.toContain('<!here>');
  });

  it("does not repeat the alerter's implicit labels as fields", () => {
    const labels = {
      rule: 'r',
      source: 'cosmos-ibc',
      chain_id: 'cosmoshub-4',
      severity: 'warning',
      client_id: 'c',
    };
    const all = texts(renderNotification(notificationFixture({}, [alertFixture({ labels })]), opts).blocks);
    expect(all.filter((t) => t.startsWith('*'))).toEqual([
      '*Severity*\n🟠 warning',
      '*Chain*\n`cosmoshub-4`',
      '*Source*\ncosmos-ibc',
      expect.stringMatching(/^\*Started\*/),
      '*Value*\n0.8',
      '*client_id*\n`c`',
    ]);
  });

  it('puts labels beyond the ten fields in a context line and clips a long summary in the header', () => {
    const labels = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`l${i}`, `v${i}`]));
    const msg = renderNotification(
      notificationFixture({}, [alertFixture({ labels, summary: 'x'.repeat(400) })]),
      opts,
    );
    expectWithinLimits(msg.blocks);
    const header = msg.blocks[0]!;
    expect(header.type === 'header' && header.text.text.endsWith('…')).toBe(true);
    const all = texts(msg.blocks).join('\n');
    for (let i = 0; i < 14; i++) expect(all).toContain(`v${i}`);
  });

  it('a notice has no buttons; a resolved alert shows when and after how long, without buttons', () => {
    const notice = renderNotification(
      notificationFixture({ transition: 'notice', source: 'system' }, [
        alertFixture({ summary: 'cosmos-ibc started: watching 3 chains', severity: 'info' }),
      ]),
      opts,
    );
    expect(notice.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(notice.text).toBe('🔵 Notice: cosmos-ibc started: watching 3 chains');

    const resolved = renderNotification(
      notificationFixture({ transition: 'resolved' }, [
        alertFixture({ state: 'resolved', resolved_at: '2026-11-21T14:03:00.000Z' }),
      ]),
      opts,
    );
    expect(resolved.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(resolved.blocks[0]).toMatchObject({ text: { text: expect.stringMatching(/^✅ Resolved: /) } });
    expect(texts(resolved.blocks)).toContain(
      '*Resolved*\n<!date^1795269780^{date_short_pretty} {time}|2026-11-21T14:03:00.000Z> (after 2h 3m)',
    );
  });
});

describe('renderNotification: a group', () => {
  it('one message listing the alerts with a count, acks and resolutions shown per line', () => {
    const alerts = [
      alertFixture({ summary: 'client A expiring', chain_id: 'osmosis-1' }),
      alertFixture({
        summary: 'client B expiring',
        acknowledged: { by: 'slack:U0DAN', at: '2026-11-21T12:01:00.000Z' },
      }),
      alertFixture({
        summary: 'client C expiring',
        state: 'resolved',
        resolved_at: '2026-11-21T12:02:00.000Z',
      }),
    ];
    const n = notificationFixture({ group: { key: 'g1', labels: { rule: 'ibc-expiry' } } }, alerts);
    const msg = renderNotification(n, opts);
    expectWithinLimits(msg.blocks);
    expect(msg.blocks[0]).toMatchObject({ type: 'header', text: { text: '🟠 Firing: 3 cosmos-ibc alerts' } });
    const body = texts(msg.blocks).join('\n');
    expect(body).toContain('🟠 *client A expiring* · `osmosis-1`');
    expect(body).toContain('🟠 *client B expiring* · `cosmoshub-4` · acked by <@U0DAN>');
    expect(body).toContain('✅ *client C expiring* · `cosmoshub-4` · resolved <!date^');
    expect(body).toContain('*rule*\n`ibc-expiry`');
    // Ack applies to the one open, unacknowledged alert; silence to the group labels.
    const actions = msg.blocks.find((b) => b.type === 'actions');
    expect(actions?.type === 'actions' && actions.elements.map((e) => [e.action_id, e.value])).toEqual([
      [ACTION.ack, JSON.stringify({ e: [alerts[0]!.episode_id], f: alerts[0]!.fingerprint })],
      [ACTION.silence1h, '{"m":[["rule","ibc-expiry"]]}'],
      [ACTION.silence24h, '{"m":[["rule","ibc-expiry"]]}'],
    ]);
    expect(notificationSchema.safeParse(n).success).toBe(true);
  });

  it('a 2,000-alert storm stays within Block Kit limits and counts what did not fit', () => {
    const alerts = Array.from({ length: 2000 }, (_, i) =>
      alertFixture({
        summary: `client 07-tendermint-${i} at 80% of its trusting period, counterparty osmosis-1`,
      }),
    );
    const msg = renderNotification(notificationFixture({}, alerts), opts);
    expectWithinLimits(msg.blocks);
    const body = texts(msg.blocks).join('\n');
    const listed = body.split('\n').filter((l) => l.startsWith('🟠 *client')).length;
    const more = Number(/… and (\d+) more/.exec(body)?.[1]);
    expect(listed).toBeGreaterThan(100);
    expect(listed + more).toBe(2000);
    expect(msg.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
    // Ack-all does not fit 2,000 episode ids in a button value, so it is left out rather than truncated.
    const actions = msg.blocks.find((b) => b.type === 'actions');
    expect(actions?.type === 'actions' && actions.elements.map((e) => e.action_id)).toEqual([
      ACTION.silence1h,
      ACTION.silence24h,
    ]);
  });
});
