import type { Notification } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publishClient } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
let h: Harness;

beforeAll(async () => {
  env = await testEnv('alerter-grouping');
  // The shipped defaults: group_wait 30 s, group_interval 5 m, repeat 4 h (warning) / 1 h (critical). The shipped
  // `ibc-relayer` incident (which groups a path's client alerts across rules) is off: this is about group_by.
  h = await startAlerter(env, { incidents: [{ id: 'ibc-relayer', enabled: false }] });
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});
beforeEach(() => {
  h.notifications.items.length = 0;
});

const MIN = 60_000;
const warning = (chain: string, from: number, n: number, elapsed = 1_500_000) =>
  Promise.all(
    Array.from({ length: n }, (_, i) =>
      publishClient(h, chain, `07-tendermint-${from + i}`, { trusting: 1_814_400, elapsed }),
    ),
  );
const shape = (ns: Notification[]) =>
  ns.map((n) => `${n.transition}:${n.group.labels.chain_id}:${n.alerts.length}`);

describe('grouping', () => {
  it('a storm of 200 clients crossing in one scan is one notification per group per group_interval', async () => {
    await warning('storm-1', 0, 200);
    await warning('storm-2', 0, 10);
    await h.settle();
    await h.advance(29 * 1000);
    expect(await h.received()).toEqual([]);
    await h.advance(1000);
    let ns = await h.received();
    expect(shape(ns).sort()).toEqual(['firing:storm-1:200', 'firing:storm-2:10']);
    const storm = ns.find((n) => n.group.labels.chain_id === 'storm-1')!;
    expect(storm.group.labels).toEqual({ rule: 'ibc-client-expiring', chain_id: 'storm-1' });
    expect(storm.severity).toBe('warning');
    expect(new Set(storm.alerts.map((a) => a.labels.client_id)).size).toBe(200);

    // More of the same group crossing a minute later wait for the group interval.
    await h.advance(MIN);
    await warning('storm-1', 200, 50);
    await h.settle();
    for (let i = 0; i < 3; i++) await h.advance(MIN);
    expect(shape(await h.received())).toHaveLength(2);
    await h.advance(MIN);
    ns = await h.received();
    expect(shape(ns).slice(2)).toEqual(['firing:storm-1:50']);

    // A relayer updates all 250: one resolved notification for the group.
    await h.advance(MIN);
    await warning('storm-1', 0, 250, 100);
    await h.settle();
    await h.advance(5 * MIN);
    ns = await h.received();
    expect(shape(ns).slice(3)).toEqual(['resolved:storm-1:250']);
    expect(ns[3]!.alerts.every((a) => a.state === 'resolved' && a.resolved_at !== null)).toBe(true);
  });

  it('repeat_interval re-notifies while firing: a critical every hour, a warning every 4 hours', async () => {
    // 13 h trusting period, 11.5 h elapsed: critical (1.5 h left); a 21-day client at 85 %: warning.
    await publishClient(h, 'rep-1', 'crit', { trusting: 46_800, elapsed: 41_400 });
    await publishClient(h, 'rep-1', 'warn', { trusting: 1_814_400, elapsed: 1_550_000 });
    await h.settle();
    await h.advance(30_000);
    const transitions = async () =>
      (await h.received()).map((n) => `${n.transition}:${n.alerts.map((a) => a.labels.client_id).join(',')}`);
    expect((await transitions()).sort()).toEqual(['firing:crit', 'firing:warn']);
    await h.advance(30 * MIN);
    // Nobody acknowledged the critical within 30 minutes: it escalates (once).
    expect((await transitions()).slice(2)).toEqual(['escalated:crit']);
    await h.advance(29 * MIN);
    expect(await transitions()).toHaveLength(3);
    await h.advance(MIN);
    expect((await transitions()).slice(3)).toEqual(['repeat:crit']);
    for (let i = 0; i < 3; i++) await h.advance(60 * MIN);
    const ts = await transitions();
    expect(ts.filter((t) => t === 'repeat:crit')).toHaveLength(4);
    expect(ts.filter((t) => t === 'repeat:warn')).toHaveLength(1);
    expect(ts.filter((t) => t.startsWith('escalated'))).toHaveLength(1);
    const repeats = (await h.received()).filter((n) => n.transition === 'repeat');
    expect(new Set(repeats.map((n) => n.key)).size).toBe(repeats.length);
  });
});
