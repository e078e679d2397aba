import { maintenanceTimes } from '@tocsin/events';
import { describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { compileSchedule, occurrences, type Schedule } from '../src/maintenance/schedule.ts';
import { compileWindows, dueToClose, mutingAt, type WindowRow } from '../src/maintenance/windows.ts';

const at = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString();
const compile = (t: Record<string, unknown>, now = at('2026-03-01T00:00:00Z')): Schedule => {
  const s = compileSchedule(maintenanceTimes.parse(t), now);
  if ('problems' in s) throw new Error(s.problems.join('; '));
  return s;
};
const spans = (s: Schedule, from: string, to: string) =>
  occurrences(s, at(from), at(to)).map((o) => `${iso(o.start)}/${iso(o.end)}`);

// Europe/Zurich: CET (UTC+1) until Sunday 2026-03-29 02:00, then CEST (UTC+2); back on Sunday 2026-10-25 03:00.
describe('maintenance schedules follow the local clock across DST (croner)', () => {
  it('Tuesdays 14:00–15:00 Europe/Zurich: 13:00Z before the spring change, 12:00Z after', () => {
    const s = compile({ weekly: { days: ['tue'], start: '14:00', end: '15:00' }, timezone: 'Europe/Zurich' });
    expect(spans(s, '2026-03-20T00:00:00Z', '2026-04-08T00:00:00Z')).toEqual([
      '2026-03-24T13:00:00.000Z/2026-03-24T14:00:00.000Z',
      '2026-03-31T12:00:00.000Z/2026-03-31T13:00:00.000Z',
      '2026-04-07T12:00:00.000Z/2026-04-07T13:00:00.000Z',
    ]);
  });

  it('a night window over the change lasts the wall-clock span: 3 h, then 2 h (spring), then 4 h (autumn)', () => {
    const s = compile({ weekly: { days: ['sun'], start: '01:00', end: '04:00' }, timezone: 'Europe/Zurich' });
    expect(spans(s, '2026-03-21T00:00:00Z', '2026-03-30T00:00:00Z')).toEqual([
      '2026-03-22T00:00:00.000Z/2026-03-22T03:00:00.000Z',
      '2026-03-29T00:00:00.000Z/2026-03-29T02:00:00.000Z',
    ]);
    expect(spans(s, '2026-10-24T00:00:00Z', '2026-10-26T00:00:00Z')).toEqual([
      '2026-10-24T23:00:00.000Z/2026-10-25T03:00:00.000Z',
    ]);
  });

  it('an end at or before the start is the next day; a cron window lasts its duration', () => {
    const night = compile({ weekly: { days: ['fri'], start: '23:00', end: '01:00' }, timezone: 'UTC' });
    expect(spans(night, '2026-03-06T00:00:00Z', '2026-03-07T12:00:00Z')).toEqual([
      '2026-03-06T23:00:00.000Z/2026-03-07T01:00:00.000Z',
    ]);
    const cron = compile({ cron: '30 2 * * *', duration_s: 1800, timezone: 'Europe/Zurich' });
    expect(spans(cron, '2026-03-28T00:00:00Z', '2026-03-30T12:00:00Z')).toEqual([
      '2026-03-28T01:30:00.000Z/2026-03-28T02:00:00.000Z',
      // 02:30 does not exist on 29 March in Zurich: croner runs it at 03:00 CEST, when the clock moved past it.
      '2026-03-29T01:00:00.000Z/2026-03-29T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z/2026-03-30T01:00:00.000Z',
    ]);
  });

  it('an occurrence an ongoing window is created in mutes from then; closed ones no longer mute', () => {
    const row: WindowRow = {
      id: 'w1',
      name: 'tue',
      matchers: [{ name: 'chain_id', op: '=', value: 'a' }],
      times: maintenanceTimes.parse({
        weekly: { days: ['tue'], start: '14:00', end: '15:00' },
        timezone: 'Europe/Zurich',
      }),
      origin: 'api',
      author: 'discord:1',
      reason: '',
      created_at: at('2026-03-24T13:30:00Z'),
      closed_until: at('2026-03-24T13:30:00Z'),
      ended_at: null,
    };
    const [w] = compileWindows([row], () => undefined);
    expect(mutingAt([w!], at('2026-03-24T13:40:00Z')).map((s) => s.id)).toEqual([
      'maintenance:w1@2026-03-24T13:00:00.000Z',
    ]);
    // Over but not closed: it still mutes until the tick closes it (and posts its summary).
    expect(mutingAt([w!], at('2026-03-24T14:00:01Z'))).toHaveLength(1);
    expect(dueToClose([w!], at('2026-03-24T14:00:01Z')).map((o) => o.id)).toEqual([
      'maintenance:w1@2026-03-24T13:00:00.000Z',
    ]);
    const closed = { ...w!, closed_until: at('2026-03-24T14:00:00Z') };
    expect(mutingAt([closed], at('2026-03-24T14:00:01Z'))).toEqual([]);
    expect(mutingAt([closed], at('2026-03-31T11:59:59Z'))).toEqual([]);
    expect(mutingAt([closed], at('2026-03-31T12:00:00Z'))).toHaveLength(1);
    // Ended: no later occurrence.
    const ended = { ...closed, ended_at: at('2026-03-30T00:00:00Z') };
    expect(mutingAt([ended], at('2026-03-31T12:30:00Z'))).toEqual([]);
  });

  it('bad times are refused with the field named', () => {
    const problems = (t: Record<string, unknown>) => {
      const s = compileSchedule(maintenanceTimes.parse(t), at('2026-03-01T00:00:00Z'));
      return 'problems' in s ? s.problems : [];
    };
    expect(problems({ cron: '0 14 * * TUE', timezone: 'Europe/Zurich' })).toEqual([
      'duration_s: a cron window needs a duration',
    ]);
    expect(problems({ cron: 'every tuesday', duration_s: 60 })[0]).toMatch(/^cron: /);
    expect(problems({ weekly: { start: '14:00', end: '15:00' }, timezone: 'Europe/Zurik' })).toEqual([
      'timezone: unknown time zone "Europe/Zurik" (an IANA name like Europe/Zurich)',
    ]);
    expect(problems({ starts_at: '2026-02-01T00:00:00Z', ends_at: '2026-02-01T01:00:00Z' })).toEqual([
      'ends_at: the window is already over',
    ]);
    expect(problems({})).toEqual(['weekly: give one of weekly, cron (with duration) or starts_at/ends_at']);
  });

  it('the config section names each bad field of a window, unknown keys too', () => {
    const r = alerterConfig.safeParse({
      maintenance: [
        {
          name: 'tue',
          matchers: [{ name: 'chain_id', value: '(', op: '=~' }],
          weekly: { days: ['tue'], start: '14:00', end: '15:00' },
          timezone: 'Mars/Olympus',
        },
        { name: 'cron', matchers: [{ name: 'rule', value: 'x' }], cron: '0 3 * * *', duraton: '30m' },
        { name: 'cron', matchers: [{ name: 'rule', value: 'x' }], cron: '0 3 * * *', duration: '30m' },
      ],
    });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toEqual([
      'maintenance.1: Unrecognized key: "duraton"',
      'maintenance.0.timezone: unknown time zone "Mars/Olympus" (an IANA name like Europe/Zurich)',
      expect.stringMatching(/^maintenance\.0\.matchers\.0\.value: bad regular expression/),
      'maintenance.1.duration: a cron window needs a duration',
      'maintenance.2.name: "cron" is given twice',
    ]);
  });

  it('the config section checks the times of windows that parse', () => {
    const r = alerterConfig.safeParse({
      maintenance: [
        {
          name: 'tue',
          matchers: [{ name: 'chain_id', value: '(', op: '=~' }],
          weekly: { days: ['tue'], start: '14:00', end: '15:00' },
          timezone: 'Mars/Olympus',
        },
        { name: 'tue', matchers: [{ name: 'rule', value: 'x' }], cron: '0 3 * * *' },
      ],
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'maintenance.0.timezone: unknown time zone "Mars/Olympus" (an IANA name like Europe/Zurich)',
      expect.stringMatching(/^maintenance\.0\.matchers\.0\.value: bad regular expression/),
      'maintenance.1.name: "tue" is given twice',
      'maintenance.1.duration: a cron window needs a duration',
    ]);
  });
});
