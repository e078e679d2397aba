import pg from 'pg';

const TIMESTAMPTZ = 1184;
const slow = pg.types.getTypeParser(TIMESTAMPTZ, 'text') as (s: string) => Date | number | null;

/** Two digits at i as a number (NaN unless both are digits). */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}

/**
 * A timestamptz column as PostgreSQL writes it (DateStyle ISO: `2026-12-05 03:42:00.123456+00`, the offset
 * `±HH[:MM[:SS]]` of the session's time zone) parsed into the same Date as pg's own parser (postgres-date), without
 * its three regular expressions per value: the alerter reads several per episode it notifies. Anything else (a year
 * before 100 or after 9999, BC, infinity) goes to pg's parser.
 */
export function parseTimestamptz(s: string): Date | number | null {
  const n = s.length;
  if (
    n < 22 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 32 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return slow(s);
  const year = two(s, 0) * 100 + two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17);
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    // Milliseconds: the first three digits (what Date keeps of postgres-date's 1000 * parseFloat('.ffffff')).
    let scale = 100;
    for (i++; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      ms += d * scale;
      scale = scale === 1 ? 0 : scale / 10;
    }
  }
  const sign = s.charCodeAt(i) === 43 ? 1 : s.charCodeAt(i) === 45 ? -1 : 0;
  let offset = two(s, i + 1) * 3600;
  i += 3;
  if (i < n && s.charCodeAt(i) === 58) {
    offset += two(s, i + 1) * 60;
    i += 3;
    if (i < n && s.charCodeAt(i) === 58) {
      offset += two(s, i + 1);
      i += 3;
    }
  }
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms) - sign * offset * 1000;
  // Not the expected shape after all (or a year Date.UTC would read as 19xx): pg's parser decides.
  if (sign === 0 || i !== n || year < 100 || Number.isNaN(t)) return slow(s);
  return new Date(t);
}

/** pg's type parsers with parseTimestamptz for timestamptz (text format). */
export const fastTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMPTZ && format !== 'binary') return parseTimestamptz;
    return pg.types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;
