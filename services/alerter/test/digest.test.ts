import type { AlertSubscription } from '@tocsin/events';
import { describe, expect, it } from 'vitest';
import { digestKey, duePeriods, periodStart } from '../src/subscriptions/digest.ts';

const t = (iso: string) => Date.parse(iso);
const sub = (
  cadence: AlertSubscription['cadence'],
  created: string,
  value = 'cosmoshub-4',
): AlertSubscription => ({
  id: `s-${value}-${cadence}`,
  owner: 'discord:1',
  scope: 'chain',
  value,
  cadence,
  created_at: created,
});
const periods = (subs: AlertSubscription[], now: string, last = new Map<string, number>()) =>
  duePeriods(subs, last, t(now)).map((p) => [p.cadence, new Date(p.start).toISOString(), p.subs.length]);

describe('digest periods: UTC boundaries from the clock, one key per (owner, cadence, period)', () => {
  it('hourly and daily boundaries', () => {
    expect(periodStart('hourly', t('2026-03-24T10:59:59.999Z'))).toBe(t('2026-03-24T10:00:00Z'));
    expect(periodStart('hourly', t('2026-03-24T11:00:00Z'))).toBe(t('2026-03-24T11:00:00Z'));
    expect(periodStart('daily', t('2026-03-24T23:59:00Z'))).toBe(t('2026-03-24T00:00:00Z'));
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
