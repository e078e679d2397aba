import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, expect, inject, it } from 'vitest';
import { migrate, storeMigrations } from '../src/index.ts';

// Provided by the test setup (packages/testkit), which this package does not depend on.
declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const url = inject('databaseUrl');
const fixture = join(here, 'fixtures', 'migrations');
const schemas: string[] = [];

afterAll(async () => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await c.end();
});

it('services and replicas starting together on a fresh schema all migrate it', async () => {
  // Two services, two replicas each, on a schema nobody created yet; repeated, because the race is a narrow one.
  const rounds = 25;
  const failures: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const schema = `t_migrate_race_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    const runs = [
      { dir: storeMigrations, service: 'store' },
      { dir: fixture, service: 'fixture' },
      { dir: storeMigrations, service: 'store' },
      { dir: fixture, service: 'fixture' },
    ].map((m) => migrate({ url, schema, ...m }));
    const results = await Promise.allSettled(runs);
    for (const r of results) if (r.status === 'rejected') failures.push(String(r.reason));
    if (results.every((r) => r.status === 'fulfilled')) {
      const applied = results.map((r) => (r as PromiseFulfilledResult<string[]>).value.length);
      // Each set was applied exactly once, by one of its replicas.
      expect(applied[0]! + applied[2]!).toBe(1);
      expect(applied[1]! + applied[3]!).toBe(1);
    }
  }
  expect(failures).toEqual([]);
});
