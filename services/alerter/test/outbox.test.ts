import type { Publisher } from '@tocsin/bus';
import { createPool, type Pool } from '@tocsin/store';
import { eventually, notificationFixture, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OutboxMarks } from '../src/outbox/marks.ts';
import { claimStale, OutboxLeases, publishOutbox } from '../src/outbox/outbox.ts';
import { publishClient } from './fixtures.ts';
import { type Harness, lockWaited, startAlerter } from './harness.ts';

/** The outbox lease: a notification its live publisher has not marked yet is never taken by a relay. */
let env: TestEnv;
let h: Harness;
let pool: Pool;
const LEASE_MS = 1000;

beforeAll(async () => {
  env = await testEnv('alerter-outbox');
  h = await startAlerter(env, {
    outbox_lease: `${LEASE_MS}ms`,
    defaults: { group_by: ['...'], group_wait: 0, group_interval: 0, priority_wait: 0 },
  });
  pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 3 });
  // The rows as they were when the alerter deleted them (published).
  await pool.query(`CREATE TABLE outbox_deleted (seq bigint, key text, lease_until timestamptz);
    CREATE FUNCTION outbox_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO outbox_deleted VALUES (OLD.seq, OLD.key, OLD.lease_until); RETURN OLD; END $$;
    CREATE TRIGGER outbox_deleted BEFORE DELETE ON alerter_outbox FOR EACH ROW EXECUTE FUNCTION outbox_deleted()`);
});
afterAll(async () => {
  await h?.stop();
  await pool?.end();
  await env.cleanup();
});

const dbNow = async (): Promise<Date> =>
  (await pool.query('SELECT clock_timestamp() AS t')).rows[0].t as Date;

it('the lease of a notification counts from its commit, not from when its transaction began waiting for the lock', async () => {
  // Another replica holds the alerter lock: this one's batch begins its transaction and waits, longer than a lease.
  const other = await pool.connect();
  try {
    await other.query('BEGIN');
    await other.query('SELECT 1 FROM alerter_meta WHERE id = 1 FOR UPDATE');
    await publishClient(h, 'outbox-1', '07-tendermint-1', { elapsed: 45_000 });
    await lockWaited(pool, other);
    const waitingSince = await dbNow();
    await eventually(
      async () => (await dbNow()).getTime() > waitingSince.getTime() + 2 * LEASE_MS,
      20_000,
      'two leases spent waiting for the lock',
    );
    const released = await dbNow();
    await other.query('COMMIT');
    await h.settle();
    // Published rows are deleted: the trigger kept what each looked like then.
    expect((await pool.query('SELECT count(*)::int AS n FROM alerter_outbox')).rows[0].n).toBe(0);
    const rows = (await pool.query('SELECT lease_until FROM outbox_deleted')).rows;
    expect(rows.length).toBe(1);
    // Written after the lock was released: its lease ends after that (counted from BEGIN, it had ended before).
    expect((rows[0].lease_until as Date).getTime()).toBeGreaterThan(released.getTime());
  } finally {
    await other.query('ROLLBACK').catch(() => undefined);
    other.release();
  }
}, 60_000);

it('a notification whose publish takes longer than the lease is renewed, not re-taken by a relay', async () => {
  const n = notificationFixture();
  const inserted = (
    await pool.query(
      `INSERT INTO alerter_outbox (key, payload, lease_until)
       VALUES ($1, $2, clock_timestamp() + ($3::bigint * interval '1 millisecond')) RETURNING seq, lease_until`,
      [n.key, n, LEASE_MS],
    )
  ).rows[0];
  const row = { seq: Number(inserted.seq), key: n.key, payload: n };
  const firstLeaseEnd = (inserted.lease_until as Date).getTime();
  // The stream acknowledges slowly (a loaded server): the publish is held until the test lets it go.
  let letGo!: () => void;
  const gate = new Promise<void>((r) => {
    letGo = r;
  });
  const slow: Publisher = {
    ...h.publisher,
    publishNotification: async (x) => {
      await gate;
      return h.publisher.publishNotification(x);
    },
  };
  const warnings: object[] = [];
  const log = { warn: (o: object) => void warnings.push(o) };
  const publishing = publishOutbox(pool, slow, [row], log, new OutboxLeases(pool, LEASE_MS, log));

  // Once the first lease is long over, the row's lease still lies ahead: a relay finds nothing to take.
  await eventually(
    async () => {
      const r = (
        await pool.query(`SELECT clock_timestamp() AS now, lease_until FROM alerter_outbox WHERE seq = $1`, [
          row.seq,
        ])
      ).rows[0];
      const now = (r.now as Date).getTime();
      return now > firstLeaseEnd + LEASE_MS && (r.lease_until as Date).getTime() > now + LEASE_MS / 3;
    },
    20_000,
    'the first lease over and the lease renewed',
  );
  expect(await claimStale(pool, LEASE_MS)).toEqual([]);

  letGo();
  expect(await publishing).toBe(1);
  // Published: deleted from the outbox.
  expect((await pool.query('SELECT 1 FROM alerter_outbox WHERE seq = $1', [row.seq])).rows).toEqual([]);
  expect((await pool.query('SELECT key FROM outbox_deleted WHERE seq = $1', [row.seq])).rows).toEqual([
    { key: n.key },
  ]);
  expect(warnings).toEqual([]);
}, 60_000);

it('a published row handed to OutboxMarks stays leased until a commit deletes it, and comes back if that fails', async () => {
  const insert = async () => {
    const n = notificationFixture();
    const r = (
      await pool.query(
        `INSERT INTO alerter_outbox (key, payload, lease_until)
         VALUES ($1, $2, clock_timestamp() + ($3::bigint * interval '1 millisecond')) RETURNING seq`,
        [n.key, n, LEASE_MS],
      )
    ).rows[0];
    return { seq: Number(r.seq), key: n.key, payload: n };
  };
  const rows = [await insert(), await insert()];
  const seqs = rows.map((r) => r.seq);
  const warnings: object[] = [];
  const log = { warn: (o: object) => void warnings.push(o) };
  const leases = new OutboxLeases(pool, LEASE_MS, log);
  // A linger far longer than the test: only a commit (or flush) deletes the rows.
  const marks = new OutboxMarks(pool, leases, log, 600_000);
  expect(await publishOutbox(pool, h.publisher, rows, log, leases, undefined, (s) => marks.add(s))).toBe(2);
  const left = async () =>
    (await pool.query('SELECT seq FROM alerter_outbox WHERE seq = ANY($1) ORDER BY seq', [seqs])).rows.map(
      (r) => Number(r.seq),
    );
  // Published, not deleted yet: still leased (renewed), so a relay takes nothing once the first lease is over.
  expect(await left()).toEqual(seqs);
  const since = (await pool.query('SELECT clock_timestamp() AS now')).rows[0].now as Date;
  await eventually(
    async () =>
      ((await pool.query('SELECT clock_timestamp() AS now')).rows[0].now as Date).getTime() >
      since.getTime() + 2 * LEASE_MS,
    20_000,
    'two leases over',
  );
  expect(await claimStale(pool, LEASE_MS)).toEqual([]);

  // A transaction that takes the DELETE and rolls back: the rows wait for the next one.
  const failing = marks.take()!;
  const c = await pool.connect();
  try {
    await c.query(`BEGIN; ${failing.sql}; ROLLBACK`);
    failing.settle(false);
    expect(await left()).toEqual(seqs);
    const next = marks.take()!;
    await c.query(`BEGIN; ${next.sql}; COMMIT`);
    next.settle(true);
  } finally {
    c.release();
  }
  expect(await left()).toEqual([]);
  expect(marks.take()).toBe(null);
  expect(warnings).toEqual([]);
}, 60_000);
