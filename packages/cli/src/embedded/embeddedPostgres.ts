import { mkdirSync } from 'node:fs';

export interface EmbeddedPostgres {
  url: string;
  close(): Promise<void>;
}

/**
 * PostgreSQL for a laptop: PGlite (Postgres compiled to WASM) served over the wire protocol, so services use the
 * same `pg` code as in production. One process, data under `dataDir`. Not for production: single backend.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port?: number;
  host?: string;
}): Promise<EmbeddedPostgres> {
  mkdirSync(opts.dataDir, { recursive: true });
  // Loaded on demand: PGlite is tens of MB that `tocsin up` against a real PostgreSQL (or `tocsin sim`) never needs.
  const { PGlite } = await import('@electric-sql/pglite');
  const { WireMultiplexer } = await import('./wireMultiplexer.ts');
  const db = await PGlite.create(opts.dataDir);
  const host = opts.host ?? '127.0.0.1';
  const server = new WireMultiplexer(db);
  const port = await server.listen(opts.port ?? 0, host);
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    async close() {
      await server.close();
      await db.close();
    },
  };
}
