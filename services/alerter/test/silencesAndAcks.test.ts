import { RpcError } from '@tocsin/bus';
import type { Alert, Notification } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publishClient } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
let h: Harness;
const MIN = 60_000;

beforeAll(async () => {
  env = await testEnv('alerter-silences');
  h = await startAlerter(env, {
    defaults: {
      group_wait: 0,
      group_interval: 0,
      priority_wait: 0,
      escalation: { mentions: ['role:oncall'] },
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});
beforeEach(() => {
  h.notifications.items.length = 0;
});

const of = (ns: Notification[], chain: string) =>
  ns.filter((n) => n.alerts[0]!.chain_id === chain).map((n) => n.transition);
/** 13 h trusting period, 1.5 h left: critical. */
const critical = (chain: string, client = 'c-0') =>
  publishClient(h, chain, client, { trusting: 46_800, elapsed: 41_400 });
const recovered = (chain: string, client = 'c-0') =>
  publishClient(h, chain, client, { trusting: 46_800, elapsed: 10, height: 900 });

describe('silences', () => {
  it('no notification while silenced; after the silence ends, an alert still firing is notified', async () => {
    const { silence } = await h.rpc<{ silence: { id: string; ends_at: string } }>('silence', {
      by: 'discord:42',
      matchers: [{ name: 'chain_id', value: 'sil-1' }],
      duration_s: 3600,
      reason: 'maintenance',
    });
    await critical('sil-1');
    await h.settle();
    await h.advance(30 * MIN);
    expect(of(await h.received(), 'sil-1')).toEqual([]);
    // No escalation nor repeat while silenced either.
    await h.advance(29 * MIN);
    expect(of(await h.received(), 'sil-1')).toEqual([]);
    const listed = await h.rpc<{ alerts: Alert[] }>('alerts', { state: 'firing' });
    expect(listed.alerts.find((a) => a.chain_id === 'sil-1')!.silenced_by).toEqual([silence.id]);
    await h.advance(MIN);
    const ns = await h.receivedOn('sil-1');
    expect(ns.map((n) => n.transition)).toEqual(['firing']);
    expect(ns[0]!.alerts[0]!.state).toBe('firing');
  });

  it('an alert that fired and resolved during the silence is never notified', async () => {
    await h.rpc('silence', {
      by: 'discord:42',
      matchers: [{ name: 'chain_id', value: 'sil-2' }],
      duration_s: 600,
    });
    await critical('sil-2');
    await h.settle();
    await h.advance(MIN);
    await recovered('sil-2');
    await h.settle();
    await h.advance(10 * MIN);
    expect(of(await h.received(), 'sil-2')).toEqual([]);
  });

  it('expiring a silence early releases what it held: a resolution of an alert notified before it', async () => {
    await critical('sil-3');
    await h.settle();
    expect(of(await h.received(), 'sil-3')).toEqual(['firing']);
    const { silence } = await h.rpc<{ silence: { id: string } }>('silence', {
      by: 'slack:U1',
      matchers: [
        { name: 'chain_id', op: '=~', value: 'sil-3|other' },
        { name: 'severity', op: '!=', value: 'info' },
      ],
      duration_s: 86_400,
    });
    await h.advance(MIN);
    await recovered('sil-3');
    await h.settle();
    expect(of(await h.received(), 'sil-3')).toEqual(['firing']);
    const expired = await h.rpc<{ silence: { ends_at: string } }>('expire_silence', {
      by: 'slack:U1',
      id: silence.id,
    });
    expect(Date.parse(expired.silence.ends_at)).toBe(h.clock.now());
    expect(of(await h.received(), 'sil-3')).toEqual(['firing', 'resolved']);
    const active = await h.rpc<{ silences: { id: string }[] }>('silences', { active: true });
    expect(active.silences.some((s) => s.id === silence.id)).toBe(false);
    // The timeline says who muted it and when.
    const ep = (await h.received())[0]!.alerts[0]!.episode_id;
    const body = await h.rpc<{ timeline: { kind: string; detail: Record<string, unknown> }[] }>('alert', {
      id: ep,
    });
    expect(body.timeline.map((t) => t.kind)).toEqual([
      'firing',
      'notified',
      'silence_added',
      // The escalation ladder's first step (wait 30 m) began with the firing notification.
      'escalation_step',
      'resolved',
      'silenced',
      'notified',
    ]);
    expect(body.timeline[2]!.detail).toMatchObject({ silence: silence.id, by: 'slack:U1' });
  });

  it('refuses bad silences with the field and the reason', async () => {
    const bad = await h
      .rpc('silence', { by: 'discord:1', matchers: [], duration_s: 60 })
      .catch((e: RpcError) => e);
    expect(bad).toBeInstanceOf(RpcError);
    expect(bad.code).toBe('bad_request');
    expect(bad.issues).toEqual([expect.stringMatching(/^matchers: /)]);
    const re = await h
      .rpc('silence', {
        by: 'discord:1',
        matchers: [{ name: 'x', op: '=~', value: '(' }],
        duration_s: 60,
      })
      .catch((e: RpcError) => e);
    expect(re.message).toMatch(/bad regular expression/);
    const noEnd = await h
      .rpc('silence', { by: 'discord:1', matchers: [{ name: 'x', value: 'y' }] })
      .catch((e: RpcError) => e);
    expect(noEnd.message).toMatch(/duration_s or ends_at is required/);
    await expect(h.rpc('expire_silence', { by: 'discord:1', id: 'nope' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

describe('acknowledgements and escalation', () => {
  it('an unacknowledged critical escalates after 30 minutes with the escalation mentions, once', async () => {
    await critical('esc-1');
    await h.settle();
    await h.advance(29 * MIN);
    expect(of(await h.received(), 'esc-1')).toEqual(['firing']);
    await h.advance(MIN);
    const ns = await h.receivedOn('esc-1');
    expect(ns.map((n) => n.transition)).toEqual(['firing', 'escalated']);
    expect(ns[1]!.mentions).toContain('role:oncall');
    expect(ns[1]!.alerts[0]!.escalated).toBe(true);
    await h.advance(30 * MIN);
    expect(of(await h.received(), 'esc-1').filter((t) => t === 'escalated')).toHaveLength(1);
  });

  it('an acknowledgement stops escalation and repeats, and is notified with who acknowledged', async () => {
    await critical('ack-1');
    await h.settle();
    const firing = (await h.received()).find((n) => n.alerts[0]!.chain_id === 'ack-1')!;
    await h.advance(10 * MIN);
    const { alert } = await h.rpc<{ alert: Alert }>('ack', {
      by: 'discord:42',
      fingerprint: firing.alerts[0]!.fingerprint,
      note: 'relayer restarted',
    });
    expect(alert.acknowledged).toEqual({
      by: 'discord:42',
      at: new Date(h.clock.now()).toISOString(),
      until: null,
      note: 'relayer restarted',
    });
    const ns = await h.receivedOn('ack-1');
    expect(ns.map((n) => n.transition)).toEqual(['firing', 'acknowledged']);
    expect(ns[1]!.alerts[0]!.acknowledged?.by).toBe('discord:42');
    expect(ns[1]!.key).toBe(`${alert.episode_id}:acknowledged`);
    // Past the escalation delay and two repeat intervals: nothing more until it resolves.
    await h.advance(150 * MIN);
    expect(of(await h.received(), 'ack-1')).toEqual(['firing', 'acknowledged']);
    // Acknowledging again (another button press) changes nothing.
    const again = await h.rpc<{ alert: Alert }>('ack', { by: 'discord:7', episode_id: alert.episode_id });
    expect(again.alert.acknowledged?.by).toBe('discord:42');
    await recovered('ack-1');
    await h.settle();
    expect(of(await h.received(), 'ack-1')).toEqual(['firing', 'acknowledged', 'resolved']);
    await expect(
      h.rpc('ack', { by: 'discord:1', episode_id: '01JD0000000000000000000000' }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(h.rpc('ack', { by: 'discord:1' })).rejects.toMatchObject({ code: 'bad_request' });
  });
});
