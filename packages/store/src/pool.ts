import pg from 'pg';
import { fastTypes } from './timestamptz.ts';

export interface StoreOptions {
  url: string;
  /** Schema for every table; tests use a fresh one per file. Created if missing. */
  schema?: string;
  max?: number;
  applicationName?: string;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

export function assertSchemaName(schema: string): string {
  if (!IDENT.test(schema)) throw new Error(`schema "${schema}" must match ${IDENT}`);
  return schema;
}

/** A pg pool whose connections all use the configured schema. */
export function createPool(opts: StoreOptions): pg.Pool {
  const schema = assertSchemaName(opts.schema ?? 'public');
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'tocsin',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // timestamptz parsed without postgres-date's regular expressions (the same Dates: see parseTimestamptz).
    types: fastTypes,
    // The schema goes in the startup packet so every connection uses it from its first query; PGOPTIONS (which
    // node-postgres would otherwise drop when `options` is set) still applies, e.g. to profile statements.
    ...(schema !== 'public' || process.env.PGOPTIONS
      ? {
          options: [process.env.PGOPTIONS, schema !== 'public' ? `-c search_path=${schema},public` : '']
            .filter(Boolean)
            .join(' '),
        }
      : {}),
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => undefined);
  // Nor one that is checked out (pg-pool listens only while a client is idle): an 'error' event with no listener
  // is thrown. The loss still surfaces where it matters: the client's next query fails, and a client that is no
  // longer queryable is dropped by the pool when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** Runs fn in a transaction; rolls back on throw. */
export async function withTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  let failed: Error | undefined;
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    failed = err as Error;
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    // A client whose transaction failed may have lost its connection: the pool discards it rather than reuse it.
    c.release(failed);
  }
}

export async function ping(pool: pg.Pool): Promise<boolean> {
  try {
    await pool.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
