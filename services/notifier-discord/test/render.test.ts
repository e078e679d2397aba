import { describe, expect, it } from 'vitest';
import {
  bodyChars,
  type Card,
  COLOURS,
  type RenderOptions,
  renderCard,
  renderCardEdit,
  updateCard,
} from '../src/render/card.ts';
import { renderCommandReply } from '../src/render/commandReply.ts';
import { decodeButton, encodeButton } from '../src/render/customIds.ts';
import { LIMITS } from '../src/render/limits.ts';
import { alertOf, notificationOf, resolvedOf, STARTED } from './fixtures.ts';

const opts: RenderOptions = { mentions: [], explorers: [], buttons: true };
const T = Date.parse(STARTED) / 1000;

function cardOf(...notifications: ReturnType<typeof notificationOf>[]): Card {
  return { notifications, refs: ['3f9a1c2b7d4e'] };
}

describe('single alert', () => {
  it('renders an embed coloured by severity with fields, links, mentions and buttons', () => {
    const a = alertOf({
      labels: { rule: 'r', chain_id: 'cosmoshub-4', client_id: '07-tendermint-0', counterparty: 'osmosis-1' },
      links: [{ title: 'Runbook', url: 'https://example.org/runbook' }],
      mentions: ['discord:555', 'slack:U123'],
    });
    const n = notificationOf({ mentions: ['role:777', 'user:cli-bob'] }, [a]);
    const [body, ...rest] = renderCard(cardOf(n), {
      ...opts,
      mentions: ['<@&111>', 'discord:222'],
      explorers: [
        {
          label: 'client_id',
          url: 'https://explorer.example/ibc/{chain_id}/{value}',
          title: 'Explorer',
          chain_id: 'cosmoshub-4',
        },
        { label: 'client_id', url: 'https://other.example/{value}', title: 'Other', chain_id: 'osmosis-1' },
      ],
    });
    expect(rest).toEqual([]);
    expect(body).toEqual({
      content: '<@&111> <@&777> <@222> <@555>',
      allowed_mentions: { parse: [], users: ['222', '555'], roles: ['111', '777'] },
      embeds: [
        {
          title: `🟠 FIRING · ${a.summary}`,
          description: '2h 52m left before it expires.',
          url: 'https://example.org/runbook',
          color: COLOURS.warning,
          fields: [
            { name: 'Chain', value: 'cosmoshub-4', inline: true },
            { name: 'Severity', value: 'warning', inline: true },
            { name: 'Started', value: `<t:${T}:f> (<t:${T}:R>)`, inline: true },
            { name: 'client_id', value: '07-tendermint-0', inline: true },
            { name: 'counterparty', value: 'osmosis-1', inline: true },
            { name: 'Value', value: '0.8', inline: true },
            {
              name: 'Links',
              value:
                '[Runbook](https://example.org/runbook) · [Explorer](https://explorer.example/ibc/cosmoshub-4/07-tendermint-0)',
            },
          ],
          footer: { text: 'tocsin · ibc-client-expiring · ref 3f9a1c2b7d4e' },
          timestamp: STARTED,
        },
      ],
      components: [
        {
          type: 1,
          components: [
            { type: 2, custom_id: `ack:${a.episode_id}`, label: 'Acknowledge', style: 1 },
            { type: 2, custom_id: `sil:1h:${a.episode_id}`, label: 'Snooze 1 h', style: 2 },
            { type: 2, custom_id: `sil:24h:${a.episode_id}`, label: 'Snooze 24 h', style: 2 },
          ],
        },
      ],
    });
  });

  it('colours critical red and tags per-severity mentions only on pinging transitions', () => {
    const critical = notificationOf({}, [alertOf({ severity: 'critical' })]);
    const perSeverity: RenderOptions = { ...opts, mentions: { critical: ['<@&9>'], warning: ['<@&8>'] } };
    const [body] = renderCard(cardOf(critical), perSeverity);
    expect(body!.embeds[0]!.color).toBe(COLOURS.critical);
    expect(body!.content).toBe('<@&9>');
    const notice = notificationOf({ transition: 'notice', severity: 'info', source: 'system' }, [
      alertOf({ severity: 'info', source: 'system', summary: 'cosmos-ibc 0.1.0 started (node-a)' }),
    ]);
    const [n] = renderCard(cardOf(notice), { ...perSeverity, mentions: ['<@&1>'] });
    expect(n!.content).toBeUndefined();
    expect(n!.allowed_mentions).toEqual({ parse: [], users: [], roles: [] });
    expect(n!.embeds[0]!.title).toBe('🔵 NOTICE · cosmos-ibc 0.1.0 started (node-a)');
    expect(n!.components).toBeUndefined();
  });

  it("a subscriber's digest (a notice) tags its owner only, not the configured mentions", () => {
    const digest = notificationOf(
      {
        transition: 'notice',
        mentions: ['discord:42'],
        digest: {
          owner: 'discord:42',
          cadence: 'daily',
          period_start: '2026-11-21T00:00:00.000Z',
          period_end: '2026-11-22T00:00:00.000Z',
        },
      },
      [alertOf({ severity: 'critical', mentions: ['discord:7'] })],
    );
    const [body] = renderCard(cardOf(digest), { ...opts, mentions: ['<@&9>'] });
    expect(body!.content).toBe('<@42>');
    expect(body!.allowed_mentions).toEqual({ parse: [], users: ['42'], roles: [] });
  });

  it('shows who acknowledged, and disables the button', () => {
    const a = alertOf({ acknowledged: { by: 'discord:42', at: '2026-11-21T12:05:00.000Z' } });
    const [edit] = renderCardEdit(cardOf(notificationOf({}, [a])), opts);
    expect(edit!.embeds[0]!.fields).toContainEqual({
      name: 'Acknowledged',
      value: `<@42> <t:${T + 300}:R>`,
      inline: true,
    });
    expect(edit!.components![0]!.components[0]).toMatchObject({ label: 'Acknowledged', disabled: true });
  });

  it('re-renders resolved: green, resolved time and duration, no buttons', () => {
    const a = alertOf();
    const card = updateCard(cardOf(notificationOf({}, [a])), [resolvedOf(a)]);
    const [edit] = renderCardEdit(card, opts);
    const e = edit!.embeds[0]!;
    expect(e.color).toBe(COLOURS.resolved);
    expect(e.title).toBe(`✅ RESOLVED · ${a.summary}`);
    expect(e.fields).toContainEqual({ name: 'Resolved', value: `<t:${T + 9000}:f>`, inline: true });
    expect(e.fields).toContainEqual({ name: 'Lasted', value: '2h 30m', inline: true });
    expect(edit!.components).toEqual([]);
    expect(edit).not.toHaveProperty('content');
  });

  it('renders a compact reply for a resolve: no description, no pings, no buttons', () => {
    const a = resolvedOf(alertOf({ mentions: ['discord:1'] }));
    const [reply] = renderCard(cardOf(notificationOf({ transition: 'resolved' }, [a])), {
      ...opts,
      compact: true,
    });
    expect(reply!.embeds[0]).not.toHaveProperty('description');
    expect(reply!.content).toBeUndefined();
    expect(reply!.components).toBeUndefined();
  });
});

describe('grouped notifications', () => {
  it('lists the alerts with a count in one message', () => {
    const alerts = Array.from({ length: 3 }, (_, i) => alertOf({ summary: `client ${i} expiring` }));
    const n = notificationOf({ group: { key: 'g', labels: { chain_id: 'cosmoshub-4' } } }, alerts);
    const [body, ...more] = renderCard(cardOf(n), opts);
    expect(more).toEqual([]);
    const e = body!.embeds[0]!;
    expect(e.title).toBe('🟠 FIRING · 3 alerts · cosmos-ibc');
    expect(e.description).toBe('chain_id=cosmoshub-4');
    expect(e.fields![1]).toEqual({
      name: '🟠 client 1 expiring',
      value: `cosmoshub-4 · warning · since <t:${T}:R>`,
    });
    expect(body!.components![0]!.components.map((c) => (c as { custom_id: string }).custom_id)).toEqual([
      'ack:*',
      'sil:1h:*',
      'sil:24h:*',
    ]);
  });

  it('splits a storm within Discord limits and loses no alert', () => {
    const alerts = Array.from({ length: 240 }, (_, i) =>
      alertOf({
        summary: `IBC client 07-tendermint-${i} on cosmoshub-4 is 81% through its trusting period ${'x'.repeat(i % 90)}`,
      }),
    );
    const mentions = Array.from({ length: 120 }, (_, i) => `discord:${1_000_000_000_000_000 + i}`);
    const bodies = renderCard(cardOf(notificationOf({ mentions }, alerts)), opts);
    expect(bodies.length).toBeGreaterThan(1);
    for (const [i, b] of bodies.entries()) {
      expect(bodyChars(b)).toBeLessThanOrEqual(LIMITS.embedCharsPerMessage);
      expect(b.embeds.length).toBeLessThanOrEqual(LIMITS.embedsPerMessage);
      for (const e of b.embeds) expect(e.fields?.length ?? 0).toBeLessThanOrEqual(LIMITS.fieldsPerEmbed);
      expect(b.content?.length ?? 0).toBeLessThanOrEqual(LIMITS.content);
      expect(b.embeds[0]!.title).toBe(`🟠 FIRING · 240 alerts · cosmos-ibc (part ${i + 1}/${bodies.length})`);
      expect(b.embeds.at(-1)!.footer?.text).toContain('ref 3f9a1c2b7d4e');
      expect(Boolean(b.components)).toBe(i === 0);
    }
    const names = bodies.flatMap((b) => b.embeds.flatMap((e) => e.fields ?? [])).map((f) => f.name);
    expect(names).toHaveLength(240);
    expect(new Set(names).size).toBe(240);
    const tagged = bodies.map((b) => b.content ?? '').join(' ');
    expect(mentions.every((m) => tagged.includes(`<@${m.slice(8)}>`))).toBe(true);
  });

  it('shows partly resolved groups and turns green when all are resolved', () => {
    const alerts = [alertOf(), alertOf()];
    const card = cardOf(notificationOf({}, alerts));
    const partly = renderCardEdit(updateCard(card, [resolvedOf(alerts[0]!)]), opts)[0]!;
    expect(partly.embeds[0]!.title).toBe('🟠 FIRING · 2 alerts (1 resolved) · cosmos-ibc');
    expect(partly.embeds[0]!.fields![0]!.name.startsWith('✅')).toBe(true);
    const all = renderCardEdit(
      updateCard(
        card,
        alerts.map((a) => resolvedOf(a)),
      ),
      opts,
    )[0]!;
    expect(all.embeds[0]!.title).toBe('✅ RESOLVED · 2 alerts · cosmos-ibc');
    expect(all.embeds[0]!.color).toBe(COLOURS.resolved);
  });

  it('renders a digest of several notifications with each one’s transition', () => {
    const a = alertOf({ summary: 'one' });
    const b = resolvedOf(alertOf({ summary: 'two' }));
    const [body] = renderCard(
      {
        notifications: [notificationOf({}, [a]), notificationOf({ transition: 'resolved' }, [b])],
        refs: ['r1', 'r2'],
      },
      opts,
    );
    expect(body!.embeds[0]!.title).toBe('📋 2 updates');
    expect(body!.embeds[0]!.description).toBe(
      "A burst over this channel's rate, in one message: 1 firing, 1 resolved.",
    );
    expect(body!.embeds[0]!.fields!.map((f) => f.name)).toEqual(['🟠 FIRING · one', '✅ RESOLVED · two']);
    expect(body!.embeds[0]!.footer!.text).toBe('tocsin · digest · ref r1 r2');
  });
});

describe('buttons and command replies', () => {
  it('round-trips custom ids within 100 characters', () => {
    const ep = alertOf().episode_id;
    for (const a of [
      { kind: 'ack', episode: ep },
      { kind: 'silence', hours: 24, episode: '*' },
      { kind: 'page', page: 3, line: 'data cosmoshub-4' },
    ] as const) {
      expect(encodeButton(a).length).toBeLessThanOrEqual(100);
      expect(decodeButton(encodeButton(a))).toEqual(a);
    }
    expect(decodeButton('nope:1')).toBeNull();
  });

  it('renders a paged command reply with navigation', () => {
    const pages = [1, 2, 3].map((p) => ({
      title: `Clients (page ${p}/3)`,
      fields: [{ name: `c${p}`, value: 'v' }],
    }));
    const body = renderCommandReply({ ...pages[0]!, pages, kind: 'ok' }, { page: 1, line: 'data' });
    expect(body.embeds[0]).toMatchObject({
      title: 'Clients (page 2/3)',
      fields: [{ name: 'c2', value: 'v' }],
    });
    expect(
      body.components![0]!.components.map((c) => [
        (c as { custom_id: string }).custom_id,
        c.disabled ?? false,
      ]),
    ).toEqual([
      ['pg:0:data', false],
      ['pg:1:data', true],
      ['pg:2:data', false],
    ]);
    const usage = renderCommandReply(
      { title: '$data', text: 'Usage', kind: 'usage', ephemeral: true },
      { page: 0, line: 'data x' },
    );
    expect(usage).toEqual({
      embeds: [{ title: '$data', description: 'Usage', color: 0xf29900 }],
      ephemeral: true,
      allowed_mentions: { parse: [] },
    });
  });
});
