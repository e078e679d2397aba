/**
 * `Date.prototype.toISOString`, for the timestamps the alerter formats for every alert it notifies (started_at,
 * resolved_at): the built-in is a call into the runtime, about a microsecond each, and a burst formats tens of
 * thousands. The day's prefix is kept (the times of a burst share a few days) and the time of day is put together
 * from tables. Outside 1970–9999, and for an invalid date (RangeError), the built-in answers.
 */
const DAY_MS = 86_400_000;
const LAST_MS = 253_402_300_800_000; // 10000-01-01T00:00:00.000Z

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const TWO = Array.from({ length: 60 }, (_, i) => pad(i, 2));
const THREE = Array.from({ length: 1000 }, (_, i) => pad(i, 3));
const prefixes = new Map<number, string>();

export function isoTime(d: Date): string {
  const t = d.getTime();
  if (!(t >= 0 && t < LAST_MS)) return d.toISOString();
  const day = Math.floor(t / DAY_MS);
  let prefix = prefixes.get(day);
  if (prefix === undefined) {
    if (prefixes.size >= 64) prefixes.clear();
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    prefixes.set(day, prefix);
  }
  let ms = t - day * DAY_MS;
  const h = Math.floor(ms / 3_600_000);
  ms -= h * 3_600_000;
  const m = Math.floor(ms / 60_000);
  ms -= m * 60_000;
  const s = Math.floor(ms / 1000);
  return `${prefix}${TWO[h]}:${TWO[m]}:${TWO[s]}.${THREE[ms - s * 1000]}Z`;
}
