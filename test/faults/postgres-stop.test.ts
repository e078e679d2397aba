import { eventually } from '@tocsin/testkit';
import { afterAll, expect, it } from 'vitest';
import { counts, type Pipeline, RULE, settled, startPipeline } from './harness/pipeline.ts';
import { type NatsNode, type PostgresServer, startNatsServer, startPostgres } from './harness/servers.ts';

// PostgreSQL (a cluster of the test's own) stopped for 20 s mid-stream and started again: the alerter and the
// notifier retry instead of crashing or dropping, and every count comes out exact.

const OUTAGE_MS = 20_000;
const CLIENTS = 400;
let nats: NatsNode & { close(): Promise<void> };
let pg: PostgresServer;
let p: Pipeline | undefined;

afterAll(async () => {
  await p?.close();
  await pg?.close();
  await nats?.close();
});

it('PostgreSQL stopped for 20 s mid-stream: 0 lost, 0 duplicate notifications or deliveries', async () => {
  [nats, pg] = await Promise.all([startNatsServer(), startPostgres()]);
  p = await startPipeline({ name: 'pg_stop', natsUrl: nats.url, databaseUrl: pg.url });
  const pipeline = p;

  const first = pipeline.publishFacts(0, CLIENTS / 2, true, 'r1');
  await eventually(() => pipeline.receiver.ofRule(RULE).length >= 20, 60_000, '20 deliveries');
  await pg.stop();
  // Facts keep arriving while the database is away; they wait in the stream.
  await first;
  await pipeline.publishFacts(CLIENTS / 2, CLIENTS, true, 'r1');
  const during = pipeline.receiver.ofRule(RULE).length;
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  expect(pipeline.receiver.ofRule(RULE).length).toBeLessThan(CLIENTS);
  expect(during).toBeLessThan(CLIENTS);
  await pg.start();

  await settled(pipeline, CLIENTS, `${CLIENTS} deliveries after PostgreSQL came back`);
  expect(await counts(pipeline)).toMatchObject({
    events: CLIENTS,
    notifications: CLIENTS,
    duplicateNotifications: 0,
    firing: CLIENTS,
    deliveries: CLIENTS,
    duplicateDeliveries: 0,
    undelivered: 0,
  });
  for (const s of pipeline.services) expect(s.child.exitCode).toBe(null);
});
