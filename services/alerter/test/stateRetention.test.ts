import { ManualClock } from '@tocsin/runtime';
import { createPool, type Pool } from '@tocsin/store';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pruneStates } from '../src/lifecycle/stateStore.ts';
import { phaseRule, publishClient } from './fixtures.ts';
import { type Harness, startAlerter, T0 } from './harness.ts';

let env: TestEnv;
let pool: Pool;
const replicas: Harness[] = [];
const clock = new ManualClock(T0);
const DAY = 86_400_000;
const config = {
  state_retention: '1d',
  rules: [phaseRule],
  defaults: { group_by: ['...'], group_wait: 0, group_interval: 0, priority_wait: 0 },
  incidents: [{ id: 'ibc-relayer', enabled: false }],
};

beforeAll(async () => {
  env = await testEnv('alerter-state-retention');
  replicas.push(await startAlerter(env, config, { clock }));
  replicas.push(await startAlerter(env, config, { clock }));
  pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 2 });
});
afterAll(async () => {
  for (const r of replicas) await r.stop();
  await pool.end();
  await env.cleanup();
});

const FIRING = { trusting: 46_800, elapsed: 41_400 };
const OK = { trusting: 46_800, elapsed: 100 };

/** The state rows of the test's chain, by client: status and fingerprint. */
async function states(): Promise<Map<string, { status: string; fingerprint: string }>> {
  const r = await pool.query(
    "SELECT labels->>'client_id' AS client, status, fingerprint FROM alerter_state WHERE labels->>'chain_id' = 'ret-1'",
  );
  return new Map(r.rows.map((x) => [x.client, { status: x.status, fingerprint: x.fingerprint }]));
}

async function settle(): Promise<void> {
  for (const r of replicas) await r.settle();
  for (const r of replicas) await r.handle.alerter.settled();
}

it('forgets the state of an alert ok for state_retention, on every replica; a new fact starts it afresh', async () => {
  const [a, b] = replicas as [Harness, Harness];
  await publishClient(a, 'ret-1', 'c-0', FIRING);
  await publishClient(a, 'ret-1', 'c-1', FIRING);
  await settle();
  await publishClient(a, 'ret-1', 'c-0', OK);
  await settle();
  const before = await states();
  expect([before.get('c-0')?.status, before.get('c-1')?.status]).toEqual(['ok', 'firing']);
  const ok = before.get('c-0')!.fingerprint;
  const firing = before.get('c-1')!.fingerprint;
  // Both replicas hold both rows.
  for (const r of replicas) await r.handle.tick();
  for (const r of replicas)
    expect([r.handle.alerter.cache.get(ok)?.status, r.handle.alerter.cache.get(firing)?.status]).toEqual([
      'ok',
      'firing',
    ]);

  // Within the retention: kept.
  clock.advance(DAY / 2);
  await a.handle.alerter.prune();
  expect([...(await states()).keys()].sort()).toEqual(['c-0', 'c-1']);

  // Past it: the ok row is deleted; the firing one (older still) is kept.
  clock.advance(DAY);
  await a.handle.alerter.prune();
  expect([...(await states()).keys()]).toEqual(['c-1']);
  expect(a.handle.alerter.cache.get(ok)).toBeUndefined();
  expect(a.handle.alerter.cache.get(firing)?.status).toBe('firing');
  // The other replica reads the state whole again at its next refresh.
  await b.handle.tick();
  expect(b.handle.alerter.cache.get(ok)).toBeUndefined();
  expect(b.handle.alerter.cache.get(firing)?.status).toBe('firing');

  // A new fact about the forgotten alert: a new episode, notified as a first firing.
  const firstEpisode = (await a.received()).find((n) => n.alerts[0]!.labels.client_id === 'c-0')!.alerts[0]!
    .episode_id;
  await publishClient(a, 'ret-1', 'c-0', FIRING);
  await settle();
  expect((await states()).get('c-0')).toEqual({ status: 'firing', fingerprint: ok });
  const c0 = (await a.received()).filter((n) => n.alerts[0]!.labels.client_id === 'c-0');
  expect(c0.map((n) => n.transition)).toEqual(['firing', 'resolved', 'firing']);
  expect(c0[2]!.alerts[0]!.episode_id).not.toBe(firstEpisode);
});

it("keeps a discrete value's baseline however old: its next change is still told", async () => {
  const [a] = replicas as [Harness, Harness];
  const phase = (p: string) =>
    a.emit('ics', 'consumer', { consumer_id: '9', phase: p }, { chain_id: 'ret-2' });
  await phase('launched');
  await settle();
  // Nothing heard of it for 3 days, then a change.
  clock.advance(3 * DAY);
  await a.handle.alerter.prune();
  await phase('stopped');
  await settle();
  const told = (await a.received()).filter((n) => n.alerts[0]!.rule_id === 'consumer-phase');
  expect(told.map((n) => n.alerts[0]!.summary)).toEqual(['consumer 9: launched → stopped']);
});

it('prunes at most `limit` rows a run (the lock is held for one statement); the next run takes more', async () => {
  await pool.query(
    `INSERT INTO alerter_state (fingerprint, rule_id, status, fact_at, fact_id, labels, version)
     SELECT 'old-' || i, 'gone', 'ok', 0, 'f', '{}', 0 FROM generate_series(1, 3) AS i`,
  );
  const c = await pool.connect();
  try {
    const first = await pruneStates(c, 1, [], 2);
    const second = await pruneStates(c, 1, [], 2);
    expect([first?.fingerprints.length, second?.fingerprints.length]).toEqual([2, 1]);
    expect(second!.pruned).toBe(first!.pruned + 1);
    expect(await pruneStates(c, 1, [], 2)).toBeNull();
  } finally {
    c.release();
  }
});
