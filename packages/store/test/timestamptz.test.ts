import pg from 'pg';
import { expect, inject, it } from 'vitest';
import { createPool } from '../src/index.ts';
import { parseTimestamptz } from '../src/timestamptz.ts';

const pgParse = pg.types.getTypeParser(1184, 'text') as (s: string) => unknown;
const value = (v: unknown) => (v instanceof Date ? `date ${v.getTime()}` : v);

it("parses timestamptz text into the same Date as pg's parser, and leaves other shapes to it", () => {
  const cases = [
    '2026-12-05 03:42:00+00',
    '2026-12-05 03:42:00.1+00',
    '2026-12-05 03:42:00.12+00',
    '2026-12-05 03:42:00.123+00',
    '2026-12-05 03:42:00.999999+00',
    '2024-02-29 23:59:59.5-03',
    '2026-03-29 01:30:00.25+05:30',
    '1899-12-31 23:59:59.000001-09:30:15',
    '1000-01-01 00:00:00+14',
    // pg's parser: no offset, a two-digit year, BC, a year past 9999, infinity.
    '2026-12-05 03:42:00',
    '0099-06-01 12:00:00+00',
    '2020-01-01 00:00:00+00 BC',
    '12345-01-01 00:00:00+00',
    'infinity',
    '-infinity',
  ];
  for (const s of cases) expect(value(parseTimestamptz(s)), s).toEqual(value(pgParse(s)));
});

it('reads the same instants through a pool, whatever the session time zone', async () => {
  const pool = createPool({ url: inject('databaseUrl'), max: 1 });
  try {
    const c = await pool.connect();
    try {
      for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham']) {
        await c.query(`SET TIME ZONE '${zone}'`);
        const r = await c.query<{ at: Date; text: string }>(
          `SELECT x AS at, x::text AS text FROM (VALUES
             (to_timestamp(1764906120.123)), (to_timestamp(0)), ('2024-02-29 23:59:59.999999+00'::timestamptz),
             ('infinity'::timestamptz)) AS v(x)`,
        );
        for (const row of r.rows)
          expect(value(row.at), `${zone} ${row.text}`).toEqual(value(pgParse(row.text)));
        expect((r.rows[0]!.at as Date).toISOString()).toBe('2025-12-05T03:42:00.123Z');
      }
    } finally {
      c.release();
    }
  } finally {
    await pool.end();
  }
});
