import { z } from 'zod';
import { matcher } from './matcher.ts';

/** Days of a weekly maintenance window (croner's names, lower case). */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const DAY_NAMES: Record<string, string> = {
  sun: 'Sundays',
  mon: 'Mondays',
  tue: 'Tuesdays',
  wed: 'Wednesdays',
  thu: 'Thursdays',
  fri: 'Fridays',
  sat: 'Saturdays',
};

/** A weekly window's days as people say them: `every day`, `weekdays`, `weekends`, or `Mondays, Thursdays`. */
export function daysText(days: readonly string[]): string {
  const set = new Set(days);
  if (set.size === 7) return 'every day';
  if (set.size === 5 && !set.has('sat') && !set.has('sun')) return 'weekdays';
  if (set.size === 2 && set.has('sat') && set.has('sun')) return 'weekends';
  return days.map((d) => DAY_NAMES[d] ?? d).join(', ');
}

/** `HH:MM`, 24 h (a maintenance window's start and end, a daily digest's time). */
export const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day like 14:00');
const isoTime = z.iso.datetime({ offset: true });

/**
 * When a maintenance window mutes alerts: exactly one of `weekly` (e.g. Tuesdays 14:00–15:00), `cron` with
 * `duration_s` (each occurrence starts at the cron time and lasts that long), or a one-off: `starts_at` (default:
 * now) with `ends_at` or `duration_s`.
 * Recurring times are read in `timezone` (IANA name), so a DST change moves them with the local clock.
 */
export const maintenanceTimes = z.object({
  weekly: z
    .strictObject({
      days: z
        .array(z.enum(WEEKDAYS))
        .min(1)
        .default([...WEEKDAYS]),
      start: timeOfDay,
      end: timeOfDay.describe('the end time; at or before start = the next day'),
    })
    .optional(),
  cron: z.string().min(1).optional().describe('5 fields (minute hour day month weekday), read in timezone'),
  duration_s: z
    .number()
    .positive()
    .max(7 * 86400)
    .optional()
    .describe('length of each cron occurrence, or of a one-off'),
  timezone: z.string().min(1).default('UTC'),
  starts_at: isoTime.optional(),
  ends_at: isoTime.optional(),
});
export type MaintenanceTimes = z.output<typeof maintenanceTimes>;

export const maintenanceOrigin = z.enum(['config', 'api', 'chat']);

/** A maintenance window as the alerter reports it. */
export const maintenanceWindow = z.object({
  id: z.string(),
  name: z.string(),
  matchers: z.array(matcher),
  times: maintenanceTimes,
  origin: maintenanceOrigin,
  author: z.string(),
  reason: z.string(),
  created_at: isoTime,
  ended_at: isoTime
    .nullable()
    .describe('ended by a person (or removed from the config): no later occurrence'),
  active: z.boolean().describe('an occurrence is muting alerts now'),
  next: z
    .object({ starts_at: isoTime, ends_at: isoTime })
    .nullable()
    .describe('the current occurrence, or else the next one'),
});
export type MaintenanceWindow = z.output<typeof maintenanceWindow>;
