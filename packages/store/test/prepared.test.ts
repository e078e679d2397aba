import { expect, inject, it } from 'vitest';
import { createPool, PreparedStatement } from '../src/index.ts';

const statementsOf = async (c: { query: (sql: string) => Promise<{ rows: { name: string }[] }> }) =>
  (await c.query('SELECT name FROM pg_prepared_statements ORDER BY name')).rows.map((r) => r.name);

it('prepares the statement once per connection, then binds and executes it', async () => {
  const pool = createPool({ url: inject('databaseUrl'), max: 1 });
  try {
    const s = new PreparedStatement('t_prepared_twice', 'SELECT $1::int * 2 AS doubled');
    expect((await s.query<{ doubled: number }>(pool, [21])).rows[0]!.doubled).toBe(42);
    expect((await s.query<{ doubled: number }>(pool, [4])).rows[0]!.doubled).toBe(8);
    expect(await statementsOf(pool)).toEqual(['t_prepared_twice']);
  } finally {
    await pool.end();
  }
});

// The embedded PGlite serves every connection from one session: a second connection preparing the same name is
// refused (42P05). Reproduced on one connection whose session already has the name.
it('goes unnamed when the session already has a statement of that name', async () => {
  const pool = createPool({ url: inject('databaseUrl'), max: 1 });
  try {
    const c = await pool.connect();
    try {
      await c.query('PREPARE t_prepared_taken AS SELECT 0 AS zero');
      const s = new PreparedStatement('t_prepared_taken', 'SELECT $1::text AS echoed');
      expect((await s.query<{ echoed: string }>(c, ['a'])).rows[0]!.echoed).toBe('a');
      expect((await s.query<{ echoed: string }>(c, ['b'])).rows[0]!.echoed).toBe('b');
      // Still the session's own statement: this one never replaced it.
      expect((await c.query<{ zero: number }>('EXECUTE t_prepared_taken')).rows[0]).toEqual({
        zero: 0,
      });
    } finally {
      c.release();
    }
  } finally {
    await pool.end();
  }
});

it("other errors are the caller's", async () => {
  const pool = createPool({ url: inject('databaseUrl'), max: 1 });
  try {
    const s = new PreparedStatement('t_prepared_bad', 'SELECT $1::int AS n');
    await expect(s.query(pool, ['not a number'])).rejects.toMatchObject({ code: '22P02' });
  } finally {
    await pool.end();
  }
});
