import type { EventEnvelope } from '@tocsin/events';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { Batcher } from '../src/batcher.ts';
import { ALICE, BOB, KEY_A, KEY_B, report, type SignersStack, startSigners } from './support.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested JSON bodies
type Data = Record<string, any>;
const dataOf = (events: EventEnvelope[]) => events.map((e) => e.data as Data);

describe('Batcher', () => {
  it('groups concurrent items up to max, answers each with its own result, at most `parallel` batches at once', async () => {
    const batches: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const b = new Batcher<number, string>(
      { max: 4, waitMs: 5, parallel: 2, retryAlone: () => true },
      async (items) => {
        batches.push(items);
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight -= 1;
        return items.map((i) => `r${i}`);
      },
    );
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(i)));
    expect(results).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    expect(batches.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Math.max(...batches.map((x) => x.length))).toBe(4);
    expect(batches.length).toBeLessThan(10);
    expect(most).toBe(2);
    await b.drain();
  });

  it('a batch failing with an item-level error is retried item by item: only the failing item gets the error', async () => {
    const calls: number[][] = [];
    const retryAlone = (err: unknown) => (err as Error).message.includes('poison');
    const b = new Batcher<number, number>({ max: 10, waitMs: 5, parallel: 1, retryAlone }, async (items) => {
      calls.push(items);
      if (items.includes(3)) throw new Error('item 3 is poison');
      if (items.includes(13)) throw new Error('the server is down');
      return items.map((i) => i * 10);
    });
    const settled = await Promise.allSettled([1, 2, 3, 4].map((i) => b.submit(i)));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      10,
      20,
      'item 3 is poison',
      40,
    ]);
    expect(calls).toEqual([[1, 2, 3, 4], [1], [2], [3], [4]]);

    // Any other failure answers every item of the batch at once, without a retry per item.
    calls.length = 0;
    const down = await Promise.allSettled([11, 12, 13].map((i) => b.submit(i)));
    expect(down.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(calls).toEqual([[11, 12, 13]]);
  });
});

describe('harmony-signers batched intake', () => {
  let s: SignersStack | undefined;
  let db: pg.Client | undefined;
  afterEach(async () => {
    await db?.end();
    await s?.stop();
    s = undefined;
    db = undefined;
  });

  it('reports arriving together share one transaction and decide what one at a time would: one risk, replays refused', async () => {
    // The batch below closes when its 33 reports are in (or after a second).
    s = await startSigners('hs_batch', { intake: { batch_wait: '1s', batch_max: 33, parallel: 1 } });
    db = new pg.Client({ connectionString: s.env.databaseUrl });
    await db.connect();
    await db.query(`SET search_path TO ${s.env.schema}`);
    const alice = (await s.signers.tokens.create(ALICE, '')).token;
    const bob = (await s.signers.tokens.create(BOB, '')).token;
    const first = await s.post(report(s.clock, 'val-main', { mode: 'Normal' }), alice);
    expect(first.json.published).toEqual(['signer_report']);
    const newer = report(s.clock, 'val-two', { keys: [KEY_B], mode: 'Listening', backup: true });
    expect((await s.post(newer, alice)).status).toBe(202);
    s.clock.advance(2_000);

    // In one batch: 30 quiet hosts of Bob, Alice's backup switching to Normal (the risk), the same report again
    // (a replay inside the batch), and an older read of a host than the one it last reported (buffered, late).
    const quiet = Array.from({ length: 30 }, (_, i) =>
      report(s!.clock, `bob-${i}`, { keys: [KEY_B], mode: 'Syncing', backup: true }),
    );
    const risky = report(s.clock, 'val-backup', { mode: 'Normal', backup: true });
    const older = {
      ...report(s.clock, 'val-two', { keys: [KEY_B], mode: 'Normal' }),
      reported_at: new Date(s.clock.now() - 3_000).toISOString(),
      buffered: true,
    };
    const answers = await Promise.all([
      ...quiet.map((r) => s!.post(r, bob)),
      s.post(risky, alice),
      s.post(risky, alice),
      s.post(older, alice),
    ]);
    expect(answers.slice(0, 30).every((a) => a.status === 202)).toBe(true);
    const pair = answers.slice(30, 32).sort((a, b) => a.status - b.status);
    expect(pair.map((a) => a.status)).toEqual([202, 409]);
    expect(pair[0]!.json.published).toEqual(['signer_report', 'double_sign_risk', 'backup_mismatch']);
    // The older read goes to the history only: it decides nothing.
    expect(answers[32]!.json.published).toEqual(['signer_report']);

    const risks = dataOf(await s.stored('double_sign_risk'));
    expect(risks).toHaveLength(1);
    expect(risks[0]).toMatchObject({ bls_key: KEY_A, active: true, normal_hosts: 2 });
    const n = async (sql: string) => (await db!.query<{ n: number }>(sql)).rows[0]!.n;
    expect(await n('SELECT count(*)::int AS n FROM harmony_reports')).toBe(34);
    // The batch's rows were written by one transaction.
    expect(
      await n("SELECT count(DISTINCT xmin::text)::int AS n FROM harmony_reports WHERE hostname LIKE 'bob-%'"),
    ).toBe(1);
    expect(await n("SELECT count(*)::int AS n FROM harmony_hosts WHERE hostname LIKE 'bob-%'")).toBe(30);
    expect(await n(`SELECT count(*)::int AS n FROM harmony_reports WHERE nonce = '${risky.nonce}'`)).toBe(1);
    // The host keeps its latest read (Listening), not the older one that arrived later.
    const two = await db.query("SELECT mode, last_nonce FROM harmony_hosts WHERE hostname = 'val-two'");
    expect(two.rows[0]).toEqual({ mode: 'Listening', last_nonce: newer.nonce });
    // Still not a second signer of KEY_B: nothing signs it, and no risk was raised for it.
    expect(risks.some((r) => r.bls_key === KEY_B)).toBe(false);
    const key = await db.query('SELECT risk_hosts FROM harmony_keys WHERE bls_key = $1', [KEY_A]);
    expect(key.rows[0]!.risk_hosts).toHaveLength(2);
  });

  it('a batch that waited for a key held by another transaction sees what that one committed', async () => {
    s = await startSigners('hs_lockwait');
    db = new pg.Client({ connectionString: s.env.databaseUrl });
    await db.connect();
    await db.query(`SET search_path TO ${s.env.schema}`);
    const { token, summary } = await s.signers.tokens.create(ALICE, '');
    expect((await s.post(report(s.clock, 'val-main', { mode: 'Normal' }), token)).status).toBe(202);

    // Another replica's batch, mid-transaction: it holds the key and has written a third host signing with it.
    await db.query('BEGIN');
    await db.query('SELECT 1 FROM harmony_keys WHERE bls_key = $1 FOR UPDATE', [KEY_A]);
    await db.query(
      `INSERT INTO harmony_hosts (token_id, hostname, owner, validator_address, node_reachable, shard_id, blskeys,
         mode, is_backup, reported_at, received_at, interval_s, last_nonce)
       VALUES ($1, 'val-other', $2, NULL, true, 0, $3, 'Normal', false, $4, $4, 15, 'other-1')`,
      [summary.id, ALICE, [KEY_A], new Date(s.clock.now())],
    );
    const pending = s.post(report(s.clock, 'val-backup', { mode: 'Normal', backup: true }), token);
    // The batch is blocked, waiting for this transaction. (The activity view is a snapshot per transaction: cleared
    // before each look.)
    const waiting = async () => {
      await db!.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await db!.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid IN (
           SELECT pid FROM pg_locks WHERE NOT granted AND transactionid = (SELECT txid_current()::text::xid))`,
      );
      return rows[0]!.n;
    };
    for (let i = 0; i < 200 && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await waiting()).toBeGreaterThan(0);
    await db.query('COMMIT');

    const res = await pending;
    expect(res.json.published).toContain('double_sign_risk');
    const [risk] = dataOf(await s.stored('double_sign_risk'));
    // Three signers: the batch read the host committed while it waited, not a snapshot from before its lock.
    expect(risk).toMatchObject({ bls_key: KEY_A, active: true, normal_hosts: 3 });
    expect(risk!.sides[0].hosts_text).toBe('val-backup (Normal), val-main (Normal), val-other (Normal)');
  });
});
