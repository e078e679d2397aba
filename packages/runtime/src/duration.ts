import { z } from 'zod';

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

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
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== s.length || consumed === 0)
    throw new Error(`"${input}" is not a duration (e.g. 30s, 10m, 1h30m, 2d)`);
  return checkFinite(total, input);
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
