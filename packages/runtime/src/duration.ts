import { z } from 'zod';

/**
 * The duration units tocsin reads, everywhere: config values (`90s`, `1h30m`), rule params and the rule language's
 * functions (`hours(48)`). One table, so a unit means the same in every place.
 */
export const DURATION_UNITS = [
  { unit: 'ms', name: 'milliseconds', ms: 1 },
  { unit: 's', name: 'seconds', ms: 1000 },
  { unit: 'm', name: 'minutes', ms: 60_000 },
  { unit: 'h', name: 'hours', ms: 3_600_000 },
  { unit: 'd', name: 'days', ms: 86_400_000 },
  { unit: 'w', name: 'weeks', ms: 604_800_000 },
] as const;

const UNITS: Record<string, number> = Object.fromEntries(DURATION_UNITS.map((u) => [u.unit, u.ms]));
/** The unit abbreviations, longest first (`ms` before `m`), as a regex alternation. */
export const DURATION_UNIT_PATTERN = DURATION_UNITS.map((u) => u.unit)
  .sort((a, b) => b.length - a.length)
  .join('|');
const TERM = new RegExp(`(\\d+(?:\\.\\d+)?)(${DURATION_UNIT_PATTERN})`, 'g');

/** The longest delay a Node timer takes (2^31 - 1 ms, about 24.8 days); a longer one fires after 1 ms instead. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Parses "90s", "10m", "1h30m", "2d" (or a number of seconds) to milliseconds. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new Error('must be a non-negative number of seconds');
    return input * 1000;
  }
  const s = input.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return checkFinite(Number(s) * 1000, input);
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(TERM)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== s.length || consumed === 0)
    throw new Error(`"${input}" is not a duration (e.g. 30s, 10m, 1h30m, 2d)`);
  return checkFinite(total, input);
}

/**
 * A moment written as a time (`2026-12-04T10:00:00Z`, `2026-12-04`) or as a duration ago (`2h`, `7d`), in epoch
 * milliseconds: how the CLI's and the console's `since`/`until` read. Throws with a message naming both forms.
 */
export function parseWhen(text: string, now: number): number {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return t;
  } else {
    try {
      return now - parseDuration(text);
    } catch {}
  }
  throw new Error(`"${text}" is neither a time (2026-12-04T10:00:00Z) nor a duration ago (2h, 7d)`);
}

function checkFinite(ms: number, input: string): number {
  if (!Number.isFinite(ms)) throw new Error(`"${input}" is too long a duration`);
  return ms;
}

/** A zod type for durations in config: accepts "10m" or seconds, yields milliseconds (0 allowed). */
export const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** A duration that must be more than zero: windows, retention, timeouts. */
export const positiveDuration = duration.refine((ms) => ms > 0, {
  message: 'must be more than 0 (e.g. 30s, 10m)',
});

/** How often something runs (a timer's period): more than zero and at most 24 days (a Node timer's limit). */
export const interval = positiveDuration.refine((ms) => ms <= MAX_TIMER_MS, {
  message: 'must be at most 24d',
});

/** An interval where 0 switches the timer off (documented as such on the key). */
export const intervalOrOff = duration.refine((ms) => ms <= MAX_TIMER_MS, { message: 'must be at most 24d' });

/** "2d 3h", "45m", "0s": how long, in its two largest units (the one format of durations tocsin shows). */
export function formatDuration(ms: number): string {
  const neg = ms < 0;
  let s = Math.round(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts = [d && `${d}d`, h && `${h}h`, m && `${m}m`, (s || (!d && !h && !m)) && `${s}s`].filter(
    Boolean,
  );
  return (neg ? '-' : '') + parts.slice(0, 2).join(' ');
}

/** formatDuration for a number of seconds (event fields are seconds: remaining_s, projected_empty_s, …). */
export function formatSeconds(seconds: number): string {
  return formatDuration(seconds * 1000);
}
