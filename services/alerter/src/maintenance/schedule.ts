import type { MaintenanceTimes } from '@tocsin/events';
import { Cron } from 'croner';

/** One occurrence of a window: [start, end) in epoch ms. */
export interface Occurrence {
  start: number;
  end: number;
}

/**
 * A window's times, compiled: the start of each occurrence from a cron pattern read in the window's time zone
 * (croner), its end from a second pattern (weekly) or a fixed length (cron + duration); a one-off has one.
 */
export type Schedule =
  | { kind: 'once'; start: number; end: number }
  | { kind: 'recurring'; starts: Cron; ends: Cron | null; durationMs: number; lookbackMs: number };

const DAY = 86_400_000;

function pattern(p: string, timezone: string): Cron {
  // paused, without a function: a pattern to evaluate, never a timer.
  return new Cron(p, { timezone, paused: true });
}

/** An IANA time zone's canonical name (`utc` → `UTC`), or null when Intl (the authority) does not know it. */
export function canonicalTimezone(tz: string): string | null {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** Whether an IANA time zone is known: null, or what is wrong. */
export function timezoneProblem(tz: string): string | null {
  return canonicalTimezone(tz) === null
    ? `unknown time zone "${tz}" (an IANA name like Europe/Zurich)`
    : null;
}

/**
 * Checks and compiles a window's times; returns the problems (`<field>: <message>`) instead when they are wrong.
 * `now` refuses a one-off that is already over.
 */
export function compileSchedule(t: MaintenanceTimes, now: number): Schedule | { problems: string[] } {
  const problems: string[] = [];
  const once = Boolean(t.starts_at || t.ends_at || (t.duration_s !== undefined && !t.cron));
  const given = [t.weekly && 'weekly', t.cron && 'cron', once && 'starts_at/ends_at'].filter(Boolean);
  if (given.length !== 1)
    return {
      problems: [
        given.length
          ? `weekly: give one of weekly, cron or starts_at/ends_at, not ${given.join(' and ')}`
          : 'weekly: give one of weekly, cron (with duration) or starts_at/ends_at',
      ],
    };
  const tz = timezoneProblem(t.timezone);
  if (tz) return { problems: [`timezone: ${tz}`] };
  if (once) {
    const start = t.starts_at ? Date.parse(t.starts_at) : now;
    if (t.ends_at && t.duration_s !== undefined)
      return { problems: ['ends_at: give ends_at or duration_s, not both'] };
    if (!t.ends_at && t.duration_s === undefined)
      return { problems: ['ends_at: a one-off window needs ends_at or duration_s'] };
    const end = t.ends_at ? Date.parse(t.ends_at) : start + t.duration_s! * 1000;
    if (end <= start) problems.push('ends_at: must be after starts_at');
    else if (end <= now) problems.push('ends_at: the window is already over');
    return problems.length ? { problems } : { kind: 'once', start, end };
  }
  if (t.cron) {
    if (t.duration_s === undefined) return { problems: ['duration_s: a cron window needs a duration'] };
    let starts: Cron;
    try {
      starts = pattern(t.cron, t.timezone);
    } catch (err) {
      return { problems: [`cron: ${(err as Error).message}`] };
    }
    if (!starts.nextRun(new Date(now))) return { problems: ['cron: the pattern never occurs again'] };
    const durationMs = t.duration_s * 1000;
    return { kind: 'recurring', starts, ends: null, durationMs, lookbackMs: durationMs };
  }
  if (t.duration_s !== undefined) problems.push('duration_s: only for a cron window');
  const w = t.weekly!;
  const [sh, sm] = w.start.split(':');
  const [eh, em] = w.end.split(':');
  const starts = pattern(`${Number(sm)} ${Number(sh)} * * ${w.days.join(',')}`, t.timezone);
  const ends = pattern(`${Number(em)} ${Number(eh)} * * *`, t.timezone);
  // An occurrence lasts less than a day of wall-clock time (plus an hour at a DST change).
  return problems.length
    ? { problems }
    : { kind: 'recurring', starts, ends, durationMs: 0, lookbackMs: DAY + 3_600_000 };
}

/** The end of the occurrence that starts at `start`. */
function endOf(s: Extract<Schedule, { kind: 'recurring' }>, start: number): number {
  if (!s.ends) return start + s.durationMs;
  return s.ends.nextRun(new Date(start))!.getTime();
}

/**
 * The occurrences that end after `from` and start at or before `to`, in order (at most `limit`): the wall-clock
 * arithmetic, DST included, is croner's.
 */
export function occurrences(s: Schedule, from: number, to: number, limit = 100): Occurrence[] {
  if (s.kind === 'once') return s.end > from && s.start <= to ? [{ start: s.start, end: s.end }] : [];
  const out: Occurrence[] = [];
  let cursor = new Date(from - s.lookbackMs - 1);
  while (out.length < limit) {
    const next = s.starts.nextRun(cursor);
    if (!next || next.getTime() > to) break;
    const start = next.getTime();
    const end = endOf(s, start);
    if (end > from) out.push({ start, end });
    cursor = next;
  }
  return out;
}

/** The first occurrence that ends after `at` (the current one, or else the next), if any. */
export function nextOccurrence(s: Schedule, at: number): Occurrence | null {
  if (s.kind === 'once') return s.end > at ? { start: s.start, end: s.end } : null;
  return occurrences(s, at, Number.MAX_SAFE_INTEGER, 1)[0] ?? null;
}
