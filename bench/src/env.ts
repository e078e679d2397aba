import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type Subjects, subjects } from '@tocsin/events';
import pg from 'pg';

export const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const databaseUrl =
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** One measured run's own subject prefix (so its own streams) and PostgreSQL schema, on the shared servers. */
export interface BenchEnv {
  prefix: string;
  schema: string;
  subjects: Subjects;
  /** The settings every service shares, pointing at this run's prefix and schema. */
  config: Record<string, unknown>;
  /** Deletes the run's streams and schema. */
  cleanup(): Promise<void>;
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function benchEnv(tag: string, poolSize = 10): Promise<BenchEnv> {
  const id = `bench_${tag.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE SCHEMA ${id}`));
  const subj = subjects(id);
  return {
    prefix: id,
    schema: id,
    subjects: subj,
    config: {
      nats: { url: natsUrl },
      database: { url: databaseUrl, schema: id, pool_size: poolSize },
      subject_prefix: id,
      http: { port: 0 },
      log: { level: process.env.TOCSIN_LOG_LEVEL ?? 'warn' },
    },
    async cleanup() {
      const nc = await connect({ servers: natsUrl });
      const jsm = await jetstreamManager(nc);
      for (const s of Object.values(subj.streams)) await jsm.streams.delete(s).catch(() => undefined);
      await nc.close();
      await withAdmin((c) => c.query(`DROP SCHEMA IF EXISTS ${id} CASCADE`));
    },
  };
}
