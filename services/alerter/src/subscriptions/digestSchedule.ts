import type { AlertSubscription, Cadence } from '@tocsin/events';
import { Cron } from 'croner';

export type DigestCadence = Exclude<Cadence, 'immediate'>;

/** When an owner's digests of a cadence fall: every UTC hour, or every day at `at` local time in `timezone`. */
export interface DigestSchedule {
  cadence: DigestCadence;
  at: string;
  timezone: string;
}

/** A period a digest covers: [start, end) in epoch ms (a local day lasts 23 or 25 hours at a DST change). */
export interface Period {
  start: number;
  end: number;
}

const HOUR = 3_600_000;
export const DEFAULT_AT = '00:00';
export const DEFAULT_TIMEZONE = 'UTC';

/** A subscription's schedule (an old daily subscription, without a time: 00:00 UTC). */
export function scheduleOf(s: AlertSubscription): DigestSchedule {
  return {
    cadence: s.cadence as DigestCadence,
    at: s.cadence === 'daily' ? (s.at ?? DEFAULT_AT) : DEFAULT_AT,
    timezone: s.cadence === 'daily' ? (s.timezone ?? DEFAULT_TIMEZONE) : DEFAULT_TIMEZONE,
  };
}

/** Daily patterns by `at timezone`, each with the period last asked for (a tick asks about the same one each time). */
const daily = new Map<string, { cron: Cron; last: Period | null }>();

function dailyCron(at: string, timezone: string): { cron: Cron; last: Period | null } {
  const k = `${at} ${timezone}`;
  let d = daily.get(k);
  if (!d) {
    const [h, m] = at.split(':');
    // paused, without a function: a pattern to evaluate, never a timer. croner does the wall-clock arithmetic
    // (a local time skipped by a DST change runs when the clock has moved past it; a repeated one runs once).
    d = { cron: new Cron(`${Number(m)} ${Number(h)} * * *`, { timezone, paused: true }), last: null };
    daily.set(k, d);
  }
  return d;
}

/** The period holding `t`: its start at or before `t`, its end after. */
export function periodOf(s: DigestSchedule, t: number): Period {
  if (s.cadence === 'hourly') {
    const start = t - (((t % HOUR) + HOUR) % HOUR);
    return { start, end: start + HOUR };
  }
  const d = dailyCron(s.at, s.timezone);
  if (d.last && d.last.start <= t && t < d.last.end) return d.last;
  const end = d.cron.nextRun(new Date(t))!.getTime();
  const start = d.cron.previousRuns(1, new Date(end))[0]!.getTime();
  d.last = { start, end };
  return d.last;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** `2026-03-29 09:00` on the clock of `timezone`. */
export function localDateTime(ms: number, timezone: string): string {
  let f = formats.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timezone, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}
