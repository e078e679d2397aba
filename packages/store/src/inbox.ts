import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { withTransaction } from './pool.ts';

/** The store's own migrations (the inbox table); every service with a database applies them. */
export const storeMigrations = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

/**
 * Applies a message's effect exactly once: fn runs in the same transaction as the insert of
 * (consumer, messageKey) into the inbox, and is skipped when that row already exists.
 * Returns false when the message had been applied before.
 */
export async function applyOnce(
  pool: pg.Pool,
  consumer: string,
  messageKey: string,
  fn: (client: pg.PoolClient) => Promise<void>,
): Promise<boolean> {
  return withTransaction(pool, async (c) => {
    const r = await c.query(
      'INSERT INTO tocsin_inbox (consumer, message_key) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [consumer, messageKey],
    );
    if (r.rowCount === 0) return false;
    await fn(c);
    return true;
  });
}

/** Forgets inbox rows older than the stream's retention; redeliveries cannot be that old. */
export async function pruneInbox(pool: pg.Pool, olderThanMs: number): Promise<number> {
  const r = await pool.query(
    `DELETE FROM tocsin_inbox WHERE processed_at < now() - ($1::bigint * interval '1 millisecond')`,
    [olderThanMs],
  );
  return r.rowCount ?? 0;
}
