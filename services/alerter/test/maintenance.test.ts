import { RpcError } from '@tocsin/bus';
import type { MaintenanceWindow, Notification } from '@tocsin/events';
import { ManualClock } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publishClient } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
let h: Harness;
const MIN = 60_000;
// Tuesday 24 March 2026, 12:00Z = 13:00 in Zurich (CET); DST starts on Sunday 29 March.
const START = Date.parse('2026-03-24T12:00:00Z');

beforeAll(async () => {
  env = await testEnv('alerter-maintenance');
  h = await startAlerter(
    env,
    {
      defaults: { group_wait: 0, group_interval: 0, priority_wait: 0, escalation: { severities: [] } },
      maintenance: [
        {
          name: 'nightly-backup',
          matchers: [{ name: 'chain_id', value: 'cfg-1' }],
          cron: '0 3 * * *',
          duration: '30m',
          timezone: 'Europe/Zurich',
          reason: 'backups',
        },
      ],
    },
    { clock: new ManualClock(START) },
  );
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});
beforeEach(() => {
  h.notifications.items.length = 0;
});

const critical = (chain: string) => publishClient(h, chain, 'c-0', { trusting: 46_800, elapsed: 41_400 });
const recovered = (chain: string) =>
  publishClient(h, chain, 'c-0', { trusting: 46_800, elapsed: 10, height: 900 });
/** `<chain>:<transition>` of the alert notifications, and the summaries' texts. */
const seen = (ns: Notification[]) =>
  ns.map((n) =>
    n.alerts[0]!.rule_id === 'maintenance'
      ? `summary: ${n.alerts[0]!.summary}`
      : `${n.alerts[0]!.chain_id}:${n.transition}`,
  );
const until = async (iso: string) => {
  await h.advance(Date.parse(iso) - h.clock.now());
};

describe('maintenance windows', () => {
  it('a weekly window in Europe/Zurich mutes exactly its occurrences, across the DST change, and posts a summary', async () => {
    const { maintenance } = await h.rpc<{ maintenance: MaintenanceWindow }>('maintenance', {
      by: 'discord:42',
      name: 'upgrades',
      matchers: [{ name: 'chain_id', op: '=~', value: 'mw-.*' }],
      weekly: { days: ['tue'], start: '14:00', end: '15:00' },
      timezone: 'Europe/Zurich',
      reason: 'node upgrades',
    });
    expect(maintenance).toMatchObject({
      origin: 'api',
      active: false,
      next: { starts_at: '2026-03-24T13:00:00.000Z', ends_at: '2026-03-24T14:00:00.000Z' },
    });

    // 13:30 local: before the window. Notified as usual.
    await until('2026-03-24T12:30:00Z');
    await critical('mw-a');
    await h.settle();
    await h.advance(0);
    expect(seen(await h.received())).toEqual(['mw-a:firing']);

    // 14:10 local: inside. One alert fires and stays, one fires and resolves, one announced before resolves.
    await until('2026-03-24T13:10:00Z');
    await critical('mw-b');
    await critical('mw-c');
    await h.settle();
    await h.advance(MIN);
    await recovered('mw-c');
    await recovered('mw-a');
    await h.settle();
    await h.advance(MIN);
    expect(seen(await h.received())).toEqual(['mw-a:firing']);
    const firing = await h.rpc<{ alerts: { chain_id: string; silenced_by: string[] }[] }>('alerts', {
      chain_id: 'mw-b',
    });
    expect(firing.alerts[0]!.silenced_by).toEqual([`maintenance:${maintenance.id}@2026-03-24T13:00:00.000Z`]);
    const listed = await h.rpc<{ maintenances: MaintenanceWindow[] }>('maintenances', {});
    expect(listed.maintenances.find((m) => m.id === maintenance.id)!.active).toBe(true);

    // 15:00 local: the window ends. One summary, then what still matters: mw-b still fires, mw-a's resolve.
    await until('2026-03-24T14:00:00Z');
    expect(seen(await h.received())).toEqual([
      'mw-a:firing',
      'summary: 3 alerts during maintenance "upgrades", 1 still firing',
      'mw-b:firing',
      'mw-a:resolved',
    ]);
    const summary = h.notifications.items[1]!;
    expect(summary).toMatchObject({ transition: 'notice', source: 'cosmos-ibc', mentions: [] });
    expect(summary.alerts[0]!.description.split('\n')).toHaveLength(3);
    await h.advance(MIN);
    expect(h.notifications.items).toHaveLength(4);

    // Recorded: mw-c never reached anyone, but its history says why.
    const alerts = await h.rpc<{ alerts: { chain_id: string; episode_id: string }[] }>('alerts', {
      chain_id: 'mw-c',
    });
    const { timeline } = await h.handle.alerter.alert(alerts.alerts[0]!.episode_id).then((a) => a!);
    expect(timeline.map((t) => t.kind)).toEqual(expect.arrayContaining(['silenced', 'maintenance_ended']));
    expect(timeline.map((t) => t.kind)).not.toContain('notified');

    await recovered('mw-b');
    await h.settle();
    await h.advance(0);
    h.notifications.items.length = 0;

    // A week later it is 14:00 CEST = 12:00Z. 13:30 CEST (11:30Z) is outside, 14:10 CEST (12:10Z) inside.
    await until('2026-03-31T11:30:00Z');
    await critical('mw-d');
    await h.settle();
    await h.advance(0);
    await until('2026-03-31T12:10:00Z');
    await critical('mw-e');
    await h.settle();
    await h.advance(MIN);
    expect(seen(await h.received())).toEqual(['mw-d:firing']);
    await until('2026-03-31T13:00:00Z');
    expect(seen(await h.received())).toEqual([
      'mw-d:firing',
      'summary: 1 alert during maintenance "upgrades", 1 still firing',
      'mw-e:firing',
    ]);
    // 15:10 CEST: outside (15:10 would have been inside before the change, in UTC terms).
    await until('2026-03-31T13:10:00Z');
    await critical('mw-f');
    await h.settle();
    await h.advance(0);
    expect(seen(await h.received()).at(-1)).toBe('mw-f:firing');
    for (const c of ['mw-d', 'mw-e', 'mw-f']) await recovered(c);
    await h.settle();
    await h.advance(0);
    await h.rpc('end_maintenance', { by: 'discord:42', id: maintenance.id });
  });

  it('a one-off window ended early closes at once; its summary goes out at the next tick', async () => {
    const now = h.clock.now();
    const { maintenance } = await h.rpc<{ maintenance: MaintenanceWindow }>('maintenance', {
      by: 'slack:U1',
      matchers: [{ name: 'chain_id', value: 'once-1' }],
      starts_at: new Date(now).toISOString(),
      ends_at: new Date(now + 2 * 3_600_000).toISOString(),
      reason: 'validator migration',
      origin: 'chat',
    });
    expect(maintenance).toMatchObject({ name: 'validator migration', origin: 'chat', active: true });
    await critical('once-1');
    await h.settle();
    await h.advance(MIN);
    expect(await h.received()).toEqual([]);
    const { maintenance: ended } = await h.rpc<{ maintenance: MaintenanceWindow }>('end_maintenance', {
      by: 'slack:U1',
      id: maintenance.id,
    });
    expect(ended.ended_at).toBe(new Date(h.clock.now()).toISOString());
    await h.advance(0);
    expect(seen(await h.received())).toEqual([
      'summary: 1 alert during maintenance "validator migration", 1 still firing',
      'once-1:firing',
    ]);
    await expect(h.rpc('end_maintenance', { by: 'slack:U1', id: maintenance.id })).rejects.toMatchObject({
      code: 'not_found',
    });
    // Over: no longer listed as in force, still listed in the history.
    const active = await h.rpc<{ maintenances: MaintenanceWindow[] }>('maintenances', {});
    expect(active.maintenances.map((m) => m.id)).not.toContain(maintenance.id);
    const all = await h.rpc<{ maintenances: MaintenanceWindow[] }>('maintenances', { active: false });
    expect(all.maintenances.find((m) => m.id === maintenance.id)).toMatchObject({
      active: false,
      next: null,
    });
  });

  it('a one-off from now for a duration mutes until it ends by itself, then is over', async () => {
    const { maintenance } = await h.rpc<{ maintenance: MaintenanceWindow }>('maintenance', {
      by: 'discord:42',
      matchers: [{ name: 'chain_id', value: 'dur-1' }],
      duration_s: 1800,
    });
    expect(maintenance).toMatchObject({ name: 'maintenance', active: true });
    expect(Date.parse(maintenance.next!.ends_at) - Date.parse(maintenance.next!.starts_at)).toBe(1_800_000);
    await critical('dur-1');
    await h.settle();
    await h.advance(29 * MIN);
    expect(await h.received()).toEqual([]);
    await h.advance(MIN);
    expect(seen(await h.received())).toEqual([
      'summary: 1 alert during maintenance "maintenance", 1 still firing',
      'dur-1:firing',
    ]);
    const active = await h.rpc<{ maintenances: MaintenanceWindow[] }>('maintenances', {});
    expect(active.maintenances.map((m) => m.id)).not.toContain(maintenance.id);
  });

  it('windows from the configuration are listed; bad times over RPC are a bad_request naming the field', async () => {
    const { maintenances } = await h.rpc<{ maintenances: MaintenanceWindow[] }>('maintenances', {});
    expect(maintenances.find((m) => m.origin === 'config')).toMatchObject({
      name: 'nightly-backup',
      author: 'config',
      times: { cron: '0 3 * * *', duration_s: 1800, timezone: 'Europe/Zurich' },
    });
    const err = await h
      .rpc('maintenance', {
        by: 'discord:42',
        matchers: [{ name: 'chain_id', value: 'x' }],
        weekly: { days: ['tue'], start: '14:00', end: '15:00' },
        timezone: 'Europe/Zurik',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({
      code: 'bad_request',
      issues: ['timezone: unknown time zone "Europe/Zurik" (an IANA name like Europe/Zurich)'],
    });
  });
});
