import { describe, expect, it } from 'vitest';
import { parseDailyTime } from '../src/domains/alertSubscriptions.ts';
import { ALICE, BOB, rpc, run, state, useDomainRpc } from './domainsHarness.ts';

useDomainRpc('commands-alert-subscriptions');

describe('$subscribe with a daily time', () => {
  it('sends the time and zone to the alerter; the reply and $subscriptions show them', async () => {
    const r = await run('$subscribe osmosis-1 daily 9:00 Europe/Zurich');
    expect(r.title).toBe('Subscribed');
    expect(r.text).toContain('one digest a day at 09:00 Europe/Zurich');
    await run('$subscribe cosmoshub-4 hourly');
    await run('$subscribe juno-1 daily');
    expect(rpc.bodies('alerter.alert_subscribe')).toEqual([
      { owner: ALICE.owner, value: 'osmosis-1', cadence: 'daily', at: '09:00', timezone: 'Europe/Zurich' },
      { owner: ALICE.owner, value: 'cosmoshub-4', cadence: 'hourly' },
      { owner: ALICE.owner, value: 'juno-1', cadence: 'daily' },
    ]);
    expect((await run('$subscriptions')).text!.split('\n')).toEqual([
      '• chain `osmosis-1`: daily at 09:00 Europe/Zurich',
      '• chain `cosmoshub-4`: hourly',
      '• chain `juno-1`: daily at 09:00 Europe/Zurich',
    ]);
    // A zone alone: its midnight.
    expect((await run('$subscribe osmosis-1 daily Asia/Singapore', BOB)).text).toContain(
      'at 00:00 Asia/Singapore',
    );
    // An old subscription, made before times of day, reads as 00:00 UTC.
    state.alertSubscriptions.push({
      id: 'old',
      owner: BOB.owner,
      scope: 'chain',
      value: 'stride-1',
      cadence: 'daily',
      created_at: '2026-01-01T00:00:00.000Z',
    });
    expect((await run('$subscriptions', BOB)).text).toContain('• chain `stride-1`: daily at 00:00 UTC');
  });

  it('a bad time or zone gets the usage naming the bad part, and nothing is subscribed', async () => {
    const before = rpc.bodies('alerter.alert_subscribe').length;
    const cases: [string, string][] = [
      [
        '$subscribe osmosis-1 daily 24:00 Europe/Zurich',
        '`time` must be a time of day like 09:00, got `24:00`',
      ],
      ['$subscribe osmosis-1 daily 9h Europe/Zurich', '`time` must be a time of day like 09:00, got `9h`'],
      ['$subscribe osmosis-1 daily 09:00 Europe/Zürich', '`timezone` must be an IANA time zone'],
      ['$subscribe osmosis-1 daily 09:00 <@200>', 'got `<@200>`'],
      [
        '$subscribe osmosis-1 daily Mars',
        '`timezone` must be an IANA time zone like Europe/Zurich, got `Mars`',
      ],
      ['$subscribe osmosis-1 hourly 09:00', 'A time of day is for `daily` digests only (hourly has none)'],
    ];
    for (const [line, problem] of cases) {
      const r = await run(line);
      expect(r.kind).toBe('usage');
      expect(r.text).toContain(problem);
      expect(r.text).toContain('Usage: `$subscribe <target> <cadence> [time] [timezone]`');
    }
    expect(rpc.bodies('alerter.alert_subscribe')).toHaveLength(before);
  });

  it('parseDailyTime: normalises the time, UTC when only a time is given', () => {
    expect(parseDailyTime('daily', undefined, undefined)).toEqual({ ok: true });
    expect(parseDailyTime('daily', '7:05', undefined)).toEqual({ ok: true, at: '07:05', timezone: 'UTC' });
    expect(parseDailyTime('daily', 'UTC', undefined)).toEqual({ ok: true, at: '00:00', timezone: 'UTC' });
  });
});
