import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createPool,
  type EmbeddedPostgres,
  migrate,
  startEmbeddedPostgres,
  withTransaction,
} from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tocsin-pglite-'));
let pgl: EmbeddedPostgres;

beforeAll(async () => {
  pgl = await startEmbeddedPostgres({ dataDir: join(dir, 'pg') });
  await migrate({ url: pgl.url, dir: join(here, 'fixtures', 'migrations'), service: 'fixture' });
});
afterAll(async () => {
  await pgl.close();
  rmSync(dir, { recursive: true, force: true });
});

it('serves many connections with interleaved parameterized statements and transactions correctly', async () => {
  const pools = [
    createPool({ url: pgl.url, max: 4 }),
    createPool({ url: pgl.url, max: 4 }),
    createPool({ url: pgl.url, max: 4 }),
  ];
  await pools[0]!.query('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
  await pools[0]!.query('INSERT INTO counter VALUES (1, 0)');
  const work: Promise<unknown>[] = [];
  for (let i = 0; i < 60; i++) {
    const pool = pools[i % 3]!;
    // Statements with different parameter counts, so a Bind reaching another connection's Parse would fail.
    work.push(pool.query('INSERT INTO widgets (id, name) VALUES ($1, $2)', [i, `w${i}`]));
    work.push(
      pool
        .query('SELECT $1::int + $2::int + $3::int + $4::int + $5::int AS s', [i, 1, 2, 3, 4])
        .then((r) => expect(r.rows[0].s).toBe(i + 10)),
    );
    work.push(
      withTransaction(pool, async (c) => {
        const { rows } = await c.query('SELECT n FROM counter WHERE id = $1 FOR UPDATE', [1]);
        await c.query('UPDATE counter SET n = $1 WHERE id = $2', [rows[0].n + 1, 1]);
      }),
    );
  }
  await Promise.all(work);
  expect((await pools[1]!.query('SELECT count(*)::int AS c FROM widgets')).rows[0].c).toBe(60);
  expect((await pools[2]!.query('SELECT n FROM counter')).rows[0].n).toBe(60);
  await Promise.all(pools.map((p) => p.end()));
});

it('rolls back the transaction of a client that disappears inside it', async () => {
  const a = new pg.Client({ connectionString: pgl.url });
  a.on('error', () => undefined); // we cut its connection on purpose
  await a.connect();
  await a.query('BEGIN');
  await a.query('INSERT INTO widgets (id, name) VALUES ($1, $2)', [1000, 'never committed']);
  a.connection.stream.destroy();
  const b = new pg.Client({ connectionString: pgl.url });
  await b.connect();
  const r = await b.query('SELECT count(*)::int AS c FROM widgets WHERE id = $1', [1000]);
  expect(r.rows[0].c).toBe(0);
  await b.end();
});
