import { cosmosIbc, type EventEnvelope, newId } from '@tocsin/events';
import { createPool, type Pool } from '@tocsin/store';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientStatus, publishClient } from './fixtures.ts';
import { type Harness, lockWaited, startAlerter, transitionsOf } from './harness.ts';

/**
 * Pipelining (pipeline/core.ts stageLocked): a batch is judged on the cache before the lock, and its writes go with
 * the lock in one round trip. What was judged on a state that then moved, or on a commit that failed, is judged
 * again: each alert still fires once.
 */
let env: TestEnv;
let h: Harness;
let h2: Harness;
let pool: Pool;
const CHAIN = 'pipelining-1';

beforeAll(async () => {
  env = await testEnv('alerter-pipelining');
  h = await startAlerter(env, {
    defaults: { group_by: ['...'], group_wait: 0, group_interval: 0, priority_wait: 0 },
    // Every alert its own notification (the shipped incident groups the client rules of a chain).
    incidents: [{ id: 'ibc-relayer', enabled: false }],
  });
  // A second replica, driven directly (processEvents), not through the stream.
  h2 = await startAlerter(
    env,
    {
      defaults: { group_by: ['...'], group_wait: 0, group_interval: 0, priority_wait: 0 },
      incidents: [{ id: 'ibc-relayer', enabled: false }],
      consumer: { durable: 'alerter-idle' },
    },
    { clock: h.clock },
  );
  pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 3 });
});
afterAll(async () => {
  await h2?.stop();
  await h?.stop();
  await pool?.end();
  await env.cleanup();
});

/** The firing episodes of a client's alerts (one per rule that fired), less those a rival of higher priority suppressed. */
const episodesOf = async (clientId: string): Promise<string[]> =>
  (
    await pool.query(
      `SELECT episode_id FROM alerter_episodes WHERE labels->>'client_id' = $1 AND state = 'firing' AND suppressed_by IS NULL`,
      [clientId],
    )
  ).rows.map((r) => r.episode_id as string);

/**
 * Each episode of these clients was notified firing exactly once, nothing else was notified, and no alert has two
 * open episodes.
 */
async function firedOnce(chain: string, clients: string[]): Promise<void> {
  const twice = await pool.query(
    `SELECT fingerprint FROM alerter_episodes WHERE state <> 'resolved' GROUP BY fingerprint HAVING count(*) > 1`,
  );
  expect(twice.rows).toEqual([]);
  const fired = transitionsOf(await h.receivedOn(chain)).sort();
  const episodes = (await Promise.all(clients.map(episodesOf))).flat();
  expect(episodes.length).toBeGreaterThanOrEqual(clients.length);
  expect(fired).toEqual(episodes.map((e) => `${e}:firing`).sort());
}

it('a batch judged while another replica held the lock and moved the state is rolled back and judged again', async () => {
  const other = await pool.connect();
  try {
    // Another replica holds the lock and opens a new state version (without the alerter knowing).
    await other.query('BEGIN');
    await other.query('UPDATE alerter_meta SET version = version + 1 WHERE id = 1');
    await publishClient(h, CHAIN, '07-tendermint-moved', { elapsed: 45_000 });
    // The batch's lock, its episode insert and its flush reads wait in one statement for the lock.
    await lockWaited(pool, other);
    await other.query('COMMIT');
  } finally {
    await other.query('ROLLBACK').catch(() => undefined);
    other.release();
  }
  await h.settle();
  // What the batch wrote before it saw the version move was rolled back: no episode twice, none unnotified.
  await firedOnce(CHAIN, ['07-tendermint-moved']);
}, 60_000);

/** A client_status event as the stream would hand it to a replica. */
function received(chain: string, clientId: string, elapsed: number) {
  const t = h.clock.now();
  const event: EventEnvelope = {
    id: newId(t),
    source: cosmosIbc.clientStatus.source,
    type: cosmosIbc.clientStatus.type,
    version: cosmosIbc.clientStatus.version,
    chain_id: chain,
    instance: 'test',
    observed_at: new Date(t).toISOString(),
    dedup_key: `${chain}:${clientId}:${elapsed}:${t}`,
    data: clientStatus(clientId, { elapsed }),
  };
  return { event, factAt: t };
}

it('a replica whose judgement is stale (another replica opened the alert meanwhile) writes nothing of it', async () => {
  const chain = `${CHAIN}-stale`;
  const a = h.handle.alerter;
  const b = h2.handle.alerter;
  // Both replicas know the state as it is now.
  await a.processEvents([received(chain, '07-tendermint-warmup', 1_000)]);
  await b.processEvents([received(chain, '07-tendermint-warmup', 1_000)]);
  // b opens the alert; a's cache has not seen it: a judges it new, and its prelude (the episode insert) is refused
  // under the lock (the version moved), rolled back, and judged again on the refreshed state: nothing changes.
  await b.processEvents([received(chain, '07-tendermint-stale', 45_000)]);
  await a.processEvents([received(chain, '07-tendermint-stale', 45_000)]);
  await a.settled();
  await b.settled();
  await firedOnce(chain, ['07-tendermint-stale']);
}, 60_000);

it('a commit that fails resets the cache that had taken its state: the batch applied again fires each alert once, and each resolves once', async () => {
  const chain = `${CHAIN}-fail`;
  // The first state write of this chain's alerts fails once (at the commit's statement).
  await pool.query(`CREATE TABLE fail_once (done boolean);
    CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.labels->>'chain_id' = '${chain}' AND NOT EXISTS (SELECT 1 FROM fail_once) THEN
          RAISE EXCEPTION 'state write refused (test)';
        END IF;
        RETURN NEW;
      END $$;
    CREATE TRIGGER fail_once BEFORE INSERT OR UPDATE ON alerter_state FOR EACH ROW EXECUTE FUNCTION fail_once()`);
  await Promise.all(
    ['07-tendermint-a', '07-tendermint-b', '07-tendermint-c'].map((c) =>
      publishClient(h, chain, c, { elapsed: 45_000 }),
    ),
  );
  await eventually(
    async () =>
      (
        await pool.query(
          `SELECT count(*)::int AS n FROM alerter_timeline t JOIN alerter_episodes e USING (episode_id)
          WHERE e.chain_id = $1`,
          [chain],
        )
      ).rows[0].n === 0 && h.handle.alerter.lastBatchError !== null,
    20_000,
    'the failed commit',
  );
  await pool.query('INSERT INTO fail_once VALUES (true)');
  await h.settle();
  const clients = ['07-tendermint-a', '07-tendermint-b', '07-tendermint-c'];
  await firedOnce(chain, clients);
  const fired = (await Promise.all(clients.map(episodesOf))).flat().sort();

  // Then all recover in one batch (written with the lock, as a burst of new alerts is): each resolution notified
  // once, its timeline written, nothing left waiting.
  await Promise.all(clients.map((c) => publishClient(h, chain, c, { elapsed: 1_000 })));
  await h.settle();
  const said = transitionsOf(await h.receivedOn(chain)).sort();
  expect(said).toEqual(fired.flatMap((e) => [`${e}:firing`, `${e}:resolved`]).sort());
  const timeline = await pool.query(
    `SELECT episode_id FROM alerter_timeline WHERE kind = 'resolved' AND episode_id = ANY($1) ORDER BY episode_id`,
    [fired],
  );
  expect(timeline.rows.map((r) => r.episode_id)).toEqual(fired);
  expect((await pool.query('SELECT count(*)::int AS n FROM alerter_pending')).rows[0].n).toBe(0);
}, 60_000);

it('a tick that finds nothing due does not wait for the batch in flight (the pipelined batches go on through ticks)', async () => {
  const chain = `${CHAIN}-tick`;
  const b = h2.handle.alerter;
  // b's last check in its queue saw the shared state as it is now.
  await h.settle();
  await b.tick();
  const other = await pool.connect();
  let applied = false;
  let batch: Promise<void> | undefined;
  try {
    // The lock is held elsewhere (without a new version): b's batch waits for it in b's queue.
    await other.query('BEGIN');
    await other.query('SELECT version FROM alerter_meta WHERE id = 1 FOR UPDATE');
    batch = b.processEvents([received(chain, '07-tendermint-tick', 45_000)]).then(() => {
      applied = true;
    });
    await lockWaited(pool, other);
    // Nothing is due: the tick ends without queueing behind the batch (which still waits for the lock).
    await b.tick();
    expect(applied).toBe(false);
    await other.query('COMMIT');
  } finally {
    await other.query('ROLLBACK').catch(() => undefined);
    other.release();
  }
  await batch;
  await b.settled();
  expect(applied).toBe(true);
  expect(await episodesOf('07-tendermint-tick')).toHaveLength(1);
}, 60_000);
