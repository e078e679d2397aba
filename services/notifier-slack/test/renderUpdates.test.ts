import { describe, expect, it } from 'vitest';
import { ACTION, decodeAction } from '../src/actions.ts';
import {
  applyTransition,
  digestState,
  type MessageState,
  renderMessage,
  renderThreadReply,
} from '../src/render.ts';
import { expectWithinLimits, texts } from './blockKit.ts';
import { alertFixture, notificationFixture } from './fixtures.ts';

// Messages after the first: the original re-rendered, thread replies, digests of a burst.

const opts = { mentions: [] as string[] };

describe('updates and thread replies', () => {
  it('re-renders the original on resolve: resolved look and time, no buttons', () => {
    const a = alertFixture();
    const state: MessageState = { notification: notificationFixture({}, [a]), retracted: [], silence: null };
    const resolved = notificationFixture({ transition: 'resolved' }, [
      { ...a, state: 'resolved', resolved_at: '2026-11-21T12:30:00.000Z' },
    ]);
    const next = applyTransition(state, resolved);
    const msg = renderMessage(next, opts);
    expect(msg.blocks[0]).toMatchObject({ text: { text: `✅ Resolved: ${a.summary}` } });
    expect(texts(msg.blocks).some((t) => t.startsWith('*Resolved*\n') && t.endsWith('(after 30m)'))).toBe(
      true,
    );
    expect(msg.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('a partly resolved group keeps its buttons for the open alerts; a silence replaces them with a note', () => {
    const [a, b] = [alertFixture(), alertFixture()];
    const state: MessageState = {
      notification: notificationFixture({}, [a!, b!]),
      retracted: [],
      silence: null,
    };
    const next = applyTransition(
      state,
      notificationFixture({ transition: 'resolved' }, [
        { ...a!, state: 'resolved', resolved_at: '2026-11-21T12:30:00.000Z' },
      ]),
    );
    const msg = renderMessage(next, opts);
    expect(msg.blocks[0]).toMatchObject({ text: { text: '🟠 Firing: 2 cosmos-ibc alerts' } });
    const ack = msg.blocks
      .flatMap((x) => (x.type === 'actions' ? x.elements : []))
      .find((e) => e.action_id === ACTION.ack);
    expect(ack?.value).toBe(JSON.stringify({ e: [b!.episode_id], f: b!.fingerprint }));

    const silenced = renderMessage(
      { ...next, silence: { by: 'slack:U0EVE', until: '2026-11-21T13:30:00.000Z' } },
      opts,
    );
    expect(silenced.blocks.some((x) => x.type === 'actions')).toBe(false);
    expect(texts(silenced.blocks)).toContain(
      '🔕 Silenced by <@U0EVE> until <!date^1795267800^{date_short_pretty} {time}|2026-11-21T13:30:00.000Z>',
    );
  });

  it('retracted alerts are struck through', () => {
    const a = alertFixture({ summary: 'large transfer 2,000,000 AI3' });
    const state: MessageState = { notification: notificationFixture({}, [a]), retracted: [], silence: null };
    const msg = renderMessage(
      applyTransition(state, notificationFixture({ transition: 'retracted' }, [a])),
      opts,
    );
    expect(msg.blocks[0]).toMatchObject({ text: { text: '↩️ Retracted: large transfer 2,000,000 AI3' } });
    expect(msg.blocks.some((x) => x.type === 'actions')).toBe(false);
  });

  it('thread replies say what changed', () => {
    const a = alertFixture({ mentions: ['slack:U0BOB'] });
    const repeat = renderThreadReply(
      notificationFixture({ transition: 'repeat', created_at: '2026-11-21T16:00:00.000Z' }, [a]),
      { mentions: ['<!here>'] },
    );
    expect(repeat.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '🔁 *Still firing after 4h*\n<!here> <@U0BOB>', verbatim: true },
    });
    const ack = renderThreadReply(
      notificationFixture({ transition: 'acknowledged' }, [
        { ...a, acknowledged: { by: 'slack:U0DAN', at: '2026-11-21T12:10:00.000Z' } },
      ]),
      opts,
    );
    expect(ack.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '👀 *Acknowledged by <@U0DAN>*', verbatim: true },
    });
    expect(ack.text).toBe(`👀 Acknowledged by @U0DAN: ${a.summary}`);
    const resolved = renderThreadReply(
      notificationFixture({ transition: 'resolved' }, [
        { ...a, state: 'resolved', resolved_at: '2026-11-21T13:00:00.000Z' },
      ]),
      opts,
    );
    expect(resolved.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '✅ *Resolved after 1h*', verbatim: true },
    });
    const many = renderThreadReply(
      notificationFixture(
        { transition: 'escalated' },
        Array.from({ length: 900 }, () => alertFixture()),
      ),
      opts,
    );
    expectWithinLimits(many.blocks);
  });
});

describe('digest', () => {
  it('lists every alert of a burst once, tags as the firing ones would, offers ack for the open ones', () => {
    const a = alertFixture({ summary: 'A down', mentions: ['slack:U0SUB'] });
    const b = alertFixture({ summary: 'B down', severity: 'critical' });
    const c = alertFixture({ summary: 'C back', state: 'resolved', resolved_at: '2026-11-21T12:05:00.000Z' });
    const items = [
      notificationFixture({}, [a]),
      notificationFixture({ severity: 'critical' }, [b]),
      notificationFixture({ transition: 'resolved', mentions: ['slack:U0NOPE'] }, [c]),
    ];
    const msg = renderMessage(digestState(items), { mentions: ['<!here>'] });
    expectWithinLimits(msg.blocks);
    expect(msg.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: '🔔 3 notifications at once: 3 alerts' },
    });
    expect(msg.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '<!here> <@U0SUB>', verbatim: true },
    });
    const body = texts(msg.blocks).join('\n');
    expect(body).toContain('🟠 *A down*');
    expect(body).toContain('🔴 *B down*');
    expect(body).toContain('✅ *C back*');
    expect(body).toContain('*Severity*\n🔴 critical');
    const ack = msg.blocks
      .flatMap((x) => (x.type === 'actions' ? x.elements : []))
      .find((e) => e.action_id === ACTION.ack);
    expect(decodeAction(ACTION.ack, ack!.value)).toEqual({
      kind: 'ack',
      episodes: [a.episode_id, b.episode_id],
    });

    const quiet = renderMessage(
      digestState([
        items[2]!,
        notificationFixture({ transition: 'resolved' }, [{ ...a, state: 'resolved' }]),
      ]),
      {
        mentions: ['<!here>'],
      },
    );
    expect(quiet.text).not.toContain('<!here>');
    expect(quiet.blocks.some((x) => x.type === 'actions')).toBe(false);
  });
});
