import { eventually } from '@tocsin/testkit';
import { afterAll, expect, inject, it } from 'vitest';
import { counts, type Pipeline, settled, startPipeline } from './harness/pipeline.ts';
import { type NatsNode, startNatsServer } from './harness/servers.ts';

// kill -9 of nats-server mid-stream, restarted on the same port and store: every fact stored once, every alert
// notified once, every notification delivered once. Counts, not log lines.

const CLIENTS = 600;
let nats: NatsNode & { close(): Promise<void> };
let p: Pipeline | undefined;

afterAll(async () => {
  await p?.close();
  await nats?.close();
});

it('kill -9 of nats-server mid-stream and a restart: 0 lost, 0 duplicate notifications or deliveries', async () => {
  nats = await startNatsServer();
  p = await startPipeline({ name: 'nats_restart', natsUrl: nats.url, databaseUrl: inject('databaseUrl') });
  const pipeline = p;

  const publishing = pipeline.publishFacts(0, CLIENTS, true, 'r1');
  await eventually(
    () => pipeline.receiver.ofRule('ibc-client-expiring').length >= 50,
    60_000,
    '50 deliveries',
  );
  // Mid-stream: deliveries have started and have not finished.
  expect(pipeline.receiver.ofRule('ibc-client-expiring').length).toBeLessThan(CLIENTS);
  await nats.kill9();
  // Down for a moment: publishers, the alerter and the notifier all lose their connection.
  await new Promise((r) => setTimeout(r, 2000));
  await nats.start();
  await publishing;

  await settled(pipeline, CLIENTS, `${CLIENTS} deliveries after the restart`);
  const c = await counts(pipeline);
  expect(c).toMatchObject({
    events: CLIENTS,
    notifications: CLIENTS,
    duplicateNotifications: 0,
    firing: CLIENTS,
    deliveries: CLIENTS,
    duplicateDeliveries: 0,
    undelivered: 0,
  });
  // Both services are still the processes that started: they rode out the outage.
  for (const s of pipeline.services) expect(s.child.exitCode).toBe(null);
});
