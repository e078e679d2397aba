import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Subjects, subjects } from '@tocsin/events';
import pg from 'pg';
import { inject } from 'vitest';

// The `inject` keys (natsUrl, databaseUrl) are declared beside the global setup that provides them; types only.
import type {} from './global-setup.ts';

export { canConnect, freePort } from './ports.ts';

/**
 * What a test file needs to isolate itself on the shared NATS and PostgreSQL: a unique subject prefix (hence
 * unique stream names) and a fresh schema. `cleanup()` deletes both.
 */
export interface TestEnv {
  natsUrl: string;
  databaseUrl: string;
  prefix: string;
  schema: string;
  subjects: Subjects;
  /** Environment for a service started in this test (in-process or as a child process). */
  env: NodeJS.ProcessEnv;
  /** Raw config for startService(). */
  config: Record<string, unknown>;
  nats(): Promise<NatsConnection>;
  cleanup(): Promise<void>;
}

export async function testEnv(name: string): Promise<TestEnv> {
  const natsUrl = inject('natsUrl');
  const databaseUrl = inject('databaseUrl');
  const id = `${name
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '_')
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const prefix = `t_${id}`;
  const schema = `t_${id}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const conns: NatsConnection[] = [];
  const subj = subjects(prefix);
  return {
    natsUrl,
    databaseUrl,
    prefix,
    schema,
    subjects: subj,
    env: {
      ...process.env,
      NATS_URL: natsUrl,
      DATABASE_URL: databaseUrl,
      TOCSIN_DATABASE_SCHEMA: schema,
      TOCSIN_SUBJECT_PREFIX: prefix,
      TOCSIN_HTTP_PORT: '0',
      TOCSIN_LOG_LEVEL: process.env.TOCSIN_LOG_LEVEL ?? 'warn',
      TOCSIN_CONFIG: '',
    },
    config: {
      nats: { url: natsUrl },
      database: { url: databaseUrl, schema },
      subject_prefix: prefix,
      http: { port: 0 },
      log: { level: process.env.TOCSIN_LOG_LEVEL ?? 'warn' },
    },
    async nats() {
      const nc = await connect({ servers: natsUrl, name: `test:${prefix}` });
      conns.push(nc);
      return nc;
    },
    async cleanup() {
      const nc = await connect({ servers: natsUrl });
      const jsm = await jetstreamManager(nc);
      for (const s of Object.values(subj.streams)) await jsm.streams.delete(s).catch(() => undefined);
      await nc.close();
      for (const c of conns) await c.close().catch(() => undefined);
      const a = new pg.Client({ connectionString: databaseUrl });
      await a.connect();
      await a.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await a.end();
    },
  };
}

/** Collects core-NATS messages on a subject (including JetStream-stored subjects) for assertions. */
export function collect<T = unknown>(nc: NatsConnection, subject: string) {
  const items: T[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_err, msg) => {
      items.push(JSON.parse(new TextDecoder().decode(msg.data)) as T);
      for (const w of [...waiters])
        if (items.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    },
  });
  return {
    items,
    /** Resolves once n messages arrived; rejects after timeoutMs with what did arrive. */
    waitFor(n: number, timeoutMs = 15_000): Promise<T[]> {
      if (items.length >= n) return Promise.resolve(items);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`expected ${n} messages on ${subject}, got ${items.length}`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve(items);
          },
        });
      });
    },
    stop: () => sub.unsubscribe(),
  };
}

/** Polls until fn returns a truthy value; for conditions reached through real I/O (not time). */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
export { alertFixture, freshFiring, laterTransition, notificationFixture } from './fixtures.ts';
export { TestProcesses } from './process.ts';
