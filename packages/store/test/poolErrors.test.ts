import { eventually } from '@tocsin/testkit';
import { expect, inject, it } from 'vitest';
import { createPool } from '../src/index.ts';

// The fault suite saw the alerter exit 1 on an unhandled 'error' ("Connection terminated unexpectedly") from a
// checked-out client while PostgreSQL was stopped. This guard cuts a checked-out client's connection: its next query
// fails, and once released with its error the pool serves the next query on a fresh connection. (It does not
// reproduce the crash itself, which needs the cut to land between two queries; the fix is the pool's 'connect'
// listener in src/pool.ts.)
it('a checked-out client losing its connection fails its next query instead of crashing the process', async () => {
  const pool = createPool({ url: inject('databaseUrl'), max: 2 });
  const admin = createPool({ url: inject('databaseUrl'), max: 1 });
  try {
    const c = await pool.connect();
    const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await eventually(
      async () => {
        try {
          await c.query('SELECT 1');
          return false;
        } catch {
          return true;
        }
      },
      10_000,
      'the cut connection noticed',
    );
    // Released with its error, as the transaction helpers do: the pool drops it and serves the next query on a
    // fresh connection.
    c.release(new Error('connection lost'));
    expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
  } finally {
    await pool.end();
    await admin.end();
  }
});
