import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { createPublisher } from '@tocsin/bus';
import { cosmosIbc, type Notification } from '@tocsin/events';
import { createPool } from '@tocsin/store';
import { collect, eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientStatus } from './fixtures.ts';
import { type AlerterProcess, spawnAlerter, started, yamlFile } from './process.ts';

let env: TestEnv;
let nc: NatsConnection;
const procs: AlerterProcess[] = [];

beforeAll(async () => {
  env = await testEnv('alerter-replicas');
  nc = await env.nats();
});
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await env.cleanup();
});

const CLIENTS = 1000;
const TRUSTING = 1_814_400;

/** Every message stored in the ALERTS stream, read back in order with a consumer of the test's own. */
async function storedNotifications(): Promise<Notification[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(env.subjects.streams.alerts);
  const name = `count-${Date.now()}`;
  await jsm.consumers.add(env.subjects.streams.alerts, {
    name,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
  });
  const consumer = await jetstream(nc).consumers.get(env.subjects.streams.alerts, name);
  const out: Notification[] = [];
  const total = info.state.messages;
  if (total === 0) return out;
  const iter = await consumer.consume();
  for await (const m of iter) {
    out.push(m.json<Notification>());
    if (out.length >= total) break;
  }
  await jsm.consumers.delete(env.subjects.streams.alerts, name);
  return out;
}

it('two replicas, 10,000 events, kill -9 of one mid-stream: every alert transition is published exactly once', async () => {
  const config = yamlFile('tocsin.yaml', {
    alerter: {
      consumer: { ack_wait: '2s', batch: 250 },
      // Short enough that the killed replica's notifications are re-sent well within the drain wait, long enough
      // that a live replica's renewals (every third of it) survive the event-loop stalls of a loaded machine.
      outbox_lease: '6s',
      tick_interval: '250ms',
      // One notification per alert (no grouping), so the kill is likely to land between commit and publish.
      defaults: { group_by: ['...'], group_wait: 0, group_interval: 0, priority_wait: 0 },
      // Every alert its own group (group_by ...): the shipped `ibc-relayer` incident, which groups a path's clients
      // and lists its announced members again, is off.
      incidents: [{ id: 'ibc-relayer', enabled: false }],
      rules: [{ id: 'service-silent', enabled: false }],
    },
  });
  const a = spawnAlerter({ ...env.env, TOCSIN_INSTANCE: 'replica-a' }, config);
  const b = spawnAlerter({ ...env.env, TOCSIN_INSTANCE: 'replica-b' }, config);
  procs.push(a, b);
  await Promise.all([started(a), started(b)]);
  const live = collect<Notification>(nc, env.subjects.alerts());
  const pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 2 });
  const jsm = await jetstreamManager(nc);
  const drained = () =>
    eventually(
      async () => {
        const info = await jsm.consumers.info(env.subjects.streams.events, 'alerter');
        const unpublished = await pool.query(
          'SELECT count(*)::int AS n FROM alerter_outbox WHERE published_at IS NULL',
        );
        return info.num_pending === 0 && info.num_ack_pending === 0 && unpublished.rows[0].n === 0;
      },
      45_000,
      'every event applied and every notification published',
    );

  const pub = createPublisher({ nc, subjects: env.subjects, instance: 'scanner' });
  let t = Date.parse('2026-11-20T12:00:00Z');
  const scan = async (elapsedOf: (client: number) => number, rounds: number) => {
    for (let r = 0; r < rounds; r++) {
      t += 60_000;
      const observed = new Date(t);
      for (let from = 0; from < CLIENTS; from += 250) {
        await Promise.all(
          Array.from({ length: 250 }, (_, k) => {
            const c = from + k;
            return pub.publish(cosmosIbc.clientStatus, {
              chain_id: 'replica-1',
              dedup_key: `c${c}:r${t}`,
              data: clientStatus(`07-tendermint-${c}`, { trusting: TRUSTING, elapsed: elapsedOf(c) + r }),
              observed_at: observed,
            });
          }),
        );
      }
    }
  };

  // Phase 1 (6,000 events): clients 0–599 cross 80 %; 600–999 are fine. Replica A dies mid-stream, while the first
  // round (the only one of this phase with transitions) is being applied, so it may die with notifications
  // committed and not yet marked.
  const crossed = 1_500_000;
  const fine = 100_000;
  const phase1 = scan((c) => (c < 600 ? crossed : fine), 6);
  await eventually(
    async () =>
      (await jsm.consumers.info(env.subjects.streams.events, 'alerter')).ack_floor.stream_seq >= 250,
    30_000,
    'a first batch applied before the kill',
  );
  a.child.kill('SIGKILL');
  expect(await a.exited).toBe(null);
  // What the killed replica may have published without marking it: the notifications unmarked when it died (B's
  // in flight at that moment are among them too). Only these may reach core-NATS subscribers twice.
  const unmarkedAtKill = new Set(
    (await pool.query('SELECT key FROM alerter_outbox WHERE published_at IS NULL')).rows.map(
      (r) => r.key as string,
    ),
  );
  await phase1;
  await drained();

  // Phase 2 (4,000 events), A restarted: 0–299 recover, 300–599 still crossed, 600–999 now cross.
  const a2 = spawnAlerter({ ...env.env, TOCSIN_INSTANCE: 'replica-a' }, config);
  procs.push(a2);
  await started(a2);
  await scan((c) => (c < 300 ? fine : crossed), 4);
  await drained();

  const stored = await storedNotifications();
  const keys = stored.map((n) => n.key);
  expect(new Set(keys).size).toBe(keys.length);
  const transitions = stored.flatMap((n) =>
    n.alerts.map((al) => `${al.labels.client_id}:${n.transition}:${al.rule_id}`),
  );
  const expected = [
    ...Array.from({ length: CLIENTS }, (_, c) => `07-tendermint-${c}:firing:ibc-client-expiring`),
    ...Array.from({ length: 300 }, (_, c) => `07-tendermint-${c}:resolved:ibc-client-expiring`),
  ];
  expect(transitions.length).toBe(expected.length);
  expect(transitions.sort()).toEqual(expected.sort());
  // Core-NATS subscribers saw the same notifications; the only extra copies are the ones the killed replica had
  // published but not yet marked, which the relay re-sent (once) and the stream stored once. A notification of a
  // live replica is never re-sent, however slow the machine: it renews its lease while it publishes.
  const liveKeys = live.items.map((n) => n.key);
  expect(new Set(liveKeys)).toEqual(new Set(keys));
  const copies = new Map<string, number>();
  for (const k of liveKeys) copies.set(k, (copies.get(k) ?? 0) + 1);
  const resent = [...copies].filter(([, n]) => n > 1);
  expect(resent.filter(([key, n]) => n > 2 || !unmarkedAtKill.has(key))).toEqual([]);
  live.stop();
  await pool.end();
  for (const p of [b, a2]) p.child.kill('SIGTERM');
  expect(await b.exited).toBe(0);
}, 120_000);
