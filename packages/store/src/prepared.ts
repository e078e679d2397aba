import type pg from 'pg';

/** SQLSTATE duplicate_prepared_statement. */
const DUPLICATE_PREPARED = '42P05';

/**
 * A hot statement prepared once per connection (a named statement: parsed and planned on its first runs, then
 * only bound and executed), for statements a service runs thousands of times with the same text.
 *
 * A server whose connections share one session (the embedded PGlite of `tocsin up`, behind its wire multiplexer)
 * refuses a second connection preparing a name the session already has; then this statement goes unnamed from that
 * point on (parsed on every run, as plain `pool.query`). The refused Parse ran nothing, so the retry is safe.
 */
export class PreparedStatement {
  #named = true;

  constructor(
    readonly name: string,
    readonly text: string,
  ) {}

  async query<R extends pg.QueryResultRow>(
    pool: pg.Pool | pg.PoolClient,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    if (!this.#named) return pool.query<R>({ text: this.text, values });
    try {
      return await pool.query<R>({ name: this.name, text: this.text, values });
    } catch (err) {
      if ((err as { code?: unknown }).code !== DUPLICATE_PREPARED) throw err;
      this.#named = false;
      return pool.query<R>({ text: this.text, values });
    }
  }
}
