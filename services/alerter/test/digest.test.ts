import type { AlertSubscription } from '@tocsin/events';
import { describe, expect, it } from 'vitest';
import { digestBoundary, digestKey, duePeriods } from '../src/subscriptions/digest.ts';
import { periodOf } from '../src/subscriptions/digestSchedule.ts';

const t = (iso: string) => Date.parse(iso);
const sub = (
  cadence: AlertSubscription['cadence'],
  created: string,
  value = 'cosmoshub-4',
  time?: { at: string; timezone: string },
): AlertSubscription => ({
  id: `s-${value}-${cadence}`,
  owner: 'discord:1',
  scope: 'chain',
  value,
  cadence,
  ...time,
  created_at: created,
});
const hourly = { cadence: 'hourly', at: '00:00', timezone: 'UTC' } as const;
const zurich = { cadence: 'daily', at: '09:00', timezone: 'Europe/Zurich' } as const;
const startOf = (s: Parameters<typeof periodOf>[0], at: string) =>
  new Date(periodOf(s, t(at)).start).toISOString();
const periods = (subs: AlertSubscription[], now: string, last = new Map<string, number>()) =>
  duePeriods(subs, last, t(now)).map((p) => [p.cadence, new Date(p.start).toISOString(), p.subs.length]);

describe('digest periods: UTC boundaries from the clock, one key per (owner, cadence, period)', () => {
  it('hourly and daily boundaries', () => {
    expect(startOf(hourly, '2026-03-24T10:59:59.999Z')).toBe('2026-03-24T10:00:00.000Z');
    expect(startOf(hourly, '2026-03-24T11:00:00Z')).toBe('2026-03-24T11:00:00.000Z');
    expect(startOf({ ...hourly, cadence: 'daily' }, '2026-03-24T23:59:00Z')).toBe('2026-03-24T00:00:00.000Z');
  });

  it('the first period is the one the subscription began in; none before it ends; immediate never', () => {
    const subs = [
      sub('hourly', '2026-03-24T10:20:00Z'),
      sub('immediate', '2026-03-24T09:00:00Z', 'osmosis-1'),
    ];
    expect(periods(subs, '2026-03-24T10:59:59Z')).toEqual([]);
    expect(periods(subs, '2026-03-24T11:00:00Z')).toEqual([['hourly', '2026-03-24T10:00:00.000Z', 1]]);
  });

  it('one digest for all of an owner’s subscriptions of a cadence; after the last recorded one only', () => {
    const subs = [sub('hourly', '2026-03-24T10:20:00Z'), sub('hourly', '2026-03-24T10:30:00Z', 'osmosis-1')];
    const last = new Map([['discord:1\u0000hourly', t('2026-03-24T11:00:00Z')]]);
    expect(periods(subs, '2026-03-24T12:30:00Z', last)).toEqual([['hourly', '2026-03-24T11:00:00.000Z', 2]]);
    expect(periods(subs, '2026-03-24T13:00:00Z', last)).toHaveLength(2);
  });

  it('a subscriber who comes back is not sent the periods they were away', () => {
    const last = new Map([['discord:1\u0000hourly', t('2026-03-20T11:00:00Z')]]);
    expect(periods([sub('hourly', '2026-03-24T10:20:00Z')], '2026-03-24T11:00:00Z', last)).toEqual([
      ['hourly', '2026-03-24T10:00:00.000Z', 1],
    ]);
  });

  it('a long outage catches up the last 24 periods only; a daily subscriber gets the day at midnight', () => {
    expect(periods([sub('hourly', '2026-03-01T00:00:00Z')], '2026-03-24T12:00:00Z')).toHaveLength(24);
    expect(periods([sub('daily', '2026-03-24T10:20:00Z')], '2026-03-25T00:00:00Z')).toEqual([
      ['daily', '2026-03-24T00:00:00.000Z', 1],
    ]);
  });

  it('the key names the owner, the cadence and the period', () => {
    expect(digestKey({ owner: 'slack:U1', cadence: 'daily', start: t('2026-03-24T00:00:00Z') })).toBe(
      'digest:slack:U1:daily:2026-03-24T00:00:00.000Z',
    );
  });
});

describe('daily digests at a local time (croner): a local day of 23 or 25 hours at a DST change', () => {
  it('09:00 Europe/Zurich is 08:00 UTC in winter, 07:00 in summer; the days around the changes are 23 h and 25 h', () => {
    expect(startOf(zurich, '2026-03-28T08:00:00Z')).toBe('2026-03-28T08:00:00.000Z');
    expect(startOf(zurich, '2026-03-29T06:59:59Z')).toBe('2026-03-28T08:00:00.000Z');
    expect(startOf(zurich, '2026-03-29T07:00:00Z')).toBe('2026-03-29T07:00:00.000Z');
    const spring = periodOf(zurich, t('2026-03-28T12:00:00Z'));
    expect((spring.end - spring.start) / 3_600_000).toBe(23);
    const autumn = periodOf(zurich, t('2026-10-24T12:00:00Z'));
    expect([new Date(autumn.start).toISOString(), (autumn.end - autumn.start) / 3_600_000]).toEqual([
      '2026-10-24T07:00:00.000Z',
      25,
    ]);
  });

  it('the digest check is due at the local time, off the UTC hour too (Asia/Kolkata +05:30)', () => {
    const kolkata = sub('daily', '2026-03-24T00:00:00Z', 'osmosis-1', {
      at: '09:00',
      timezone: 'Asia/Kolkata',
    });
    expect(digestBoundary(t('2026-03-25T03:29:00Z'), [kolkata])).toBe(t('2026-03-25T03:00:00Z'));
    expect(digestBoundary(t('2026-03-25T03:30:00Z'), [kolkata])).toBe(t('2026-03-25T03:30:00Z'));
    expect(digestBoundary(t('2026-03-25T03:59:00Z'), [kolkata])).toBe(t('2026-03-25T03:30:00Z'));
  });

  it('one period per local day across both changes, each due at 09:00 local', () => {
    const s = sub('daily', '2026-03-27T10:00:00Z', 'osmosis-1', { at: '09:00', timezone: 'Europe/Zurich' });
    const ends: string[] = [];
    const last = new Map<string, number>();
    // Every 15 minutes for four days around each change, as ticks would ask.
    for (const from of ['2026-03-27T10:00:00Z', '2026-10-23T10:00:00Z']) {
      if (from.startsWith('2026-10')) s.created_at = from;
      last.clear();
      for (let now = t(from); now < t(from) + 4 * 86_400_000; now += 900_000)
        for (const p of duePeriods([s], last, now)) {
          ends.push(`${new Date(p.end).toISOString()} due ${new Date(now).toISOString()}`);
          last.set('discord:1\u0000daily', p.end);
        }
    }
    expect(ends).toEqual([
      '2026-03-28T08:00:00.000Z due 2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z due 2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z due 2026-03-30T07:00:00.000Z',
      '2026-03-31T07:00:00.000Z due 2026-03-31T07:00:00.000Z',
      '2026-10-24T07:00:00.000Z due 2026-10-24T07:00:00.000Z',
      '2026-10-25T08:00:00.000Z due 2026-10-25T08:00:00.000Z',
      '2026-10-26T08:00:00.000Z due 2026-10-26T08:00:00.000Z',
      '2026-10-27T08:00:00.000Z due 2026-10-27T08:00:00.000Z',
    ]);
  });

  it('a time skipped by the spring change (02:30) runs once, when the clock has moved past it', () => {
    const early = { cadence: 'daily', at: '02:30', timezone: 'Europe/Zurich' } as const;
    const day = periodOf(early, t('2026-03-29T00:00:00Z'));
    expect([day.start, day.end].map((ms) => new Date(ms).toISOString())).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
    ]);
  });
});
