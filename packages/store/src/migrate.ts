import { createHash } from 'node:crypto';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { assertSchemaName } from './pool.ts';

export interface MigrateOptions {
  url: string;
  /** Folder of SQL migrations (`<timestamp>_<name>.sql` with `-- Up Migration` / `-- Down Migration`). */
  dir: string;
  /** Each service keeps its own history table, so services migrate independently. */
  service: string;
  schema?: string;
  log?: (msg: string) => void;
}

/** A per-service lock id, so two services can migrate at once but two replicas of one cannot. */
export function lockId(service: string): number {
  return createHash('sha256').update(`tocsin-migrate:${service}`).digest().readUInt32BE(0);
}

/**
 * Creates the schema if it is missing. Under a transaction-level advisory lock keyed on the schema's name, taken
 * before the schema is needed (the connection's search_path does not name it yet): without it, services starting
 * together on a fresh schema race in CREATE SCHEMA IF NOT EXISTS, and one of them fails with a duplicate key in
 * pg_namespace.
 */
async function ensureSchema(client: pg.Client, schema: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [lockId(`schema:${schema}`)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Applies pending migrations. Replicas starting together wait on a PostgreSQL advisory lock, so exactly one
 * applies them and the others then find nothing to do.
 */
export async function migrate(opts: MigrateOptions): Promise<string[]> {
  const schema = assertSchemaName(opts.schema ?? 'public');
  const client = new pg.Client({
    connectionString: opts.url,
    application_name: `tocsin-migrate-${opts.service}`,
  });
  await client.connect();
  try {
    await ensureSchema(client, schema);
    await client.query(`SET search_path TO ${schema}, public`);
    const applied = await runner({
      dbClient: client,
      dir: opts.dir,
      direction: 'up',
      migrationsTable: `pgmigrations_${opts.service.replace(/[^a-z0-9_]/g, '_')}`,
      schema,
      checkOrder: true,
      singleTransaction: true,
      lockValue: lockId(opts.service),
      advisoryLockMode: 'wait',
      log: opts.log ?? (() => undefined),
    });
    return applied.map((m) => m.name);
  } finally {
    await client.end();
  }
}
