import { jetstreamManager } from '@nats-io/jetstream';
import { eventually } from '@tocsin/testkit';
import { afterAll, expect, inject, it } from 'vitest';
import { counts, type Pipeline, settled, startPipeline } from './harness/pipeline.ts';
import { type NatsNode, startNatsServer } from './harness/servers.ts';

// The burst of the alert-pipeline benchmark (bench/alert-pipeline.bench.ts), with faults: 10,000 distinct alerts
// fire while the alerter is killed (kill -9) in the middle of its batches and notifier-webhook in the middle of its
// batched claims and marks; then all resolve, with the same two kills. Every transition is notified exactly once
// and reaches the receiver once: the outbox and the delivery log hold at this size, with batches of 1,000.

const ALERTS = 10_000;
const PHASE_TIMEOUT_MS = 900_000;

let nats: NatsNode & { close(): Promise<void> };
let p: Pipeline | undefined;

afterAll(async () => {
  await p?.close();
  await nats?.close();
});

it('10,000 alerts firing then resolving, the alerter and the notifier each killed -9 mid-burst: 0 lost, 0 duplicates', async () => {
  nats = await startNatsServer();
  p = await startPipeline({
    name: 'kill_burst',
    natsUrl: nats.url,
    databaseUrl: inject('databaseUrl'),
    // The alerter's default batch (1,000 events per transaction), not the fault suite's 100.
    extra: { alerter: { consumer: { ack_wait: '10s', batch: 1000 } } },
  });
  const pipeline = p;
  const delivered = () => pipeline.receiver.deliveries.length;

  const phase = async (crossed: boolean, round: string, expected: number) => {
    const base = delivered();
    const publishing = pipeline.publishFacts(0, ALERTS, crossed, round, 200);
    // The alerter: killed once it has committed some batches of this burst, but not all.
    await eventually(
      async () => (await alerterAckFloor(pipeline)) > 0 && delivered() > base,
      PHASE_TIMEOUT_MS,
      `the ${round} burst under way before killing the alerter`,
    );
    expect(delivered()).toBeLessThan(base + ALERTS);
    await pipeline.alerter.kill9();
    await pipeline.alerter.restart();
    // The notifier: killed while it delivers (claims and marks in flight).
    await eventually(
      () => delivered() >= base + 200,
      PHASE_TIMEOUT_MS,
      `the ${round} deliveries under way before killing the notifier`,
    );
    expect(delivered()).toBeLessThan(base + ALERTS);
    await pipeline.webhook.kill9();
    await publishing;
    await pipeline.webhook.restart();
    await settled(pipeline, expected, `the ${round} burst (alerter and notifier killed)`, PHASE_TIMEOUT_MS);
  };

  await phase(true, 'fire', ALERTS);
  await phase(false, 'resolve', 2 * ALERTS);
  const c = await counts(pipeline);
  expect(c).toMatchObject({
    events: 2 * ALERTS,
    notifications: 2 * ALERTS,
    duplicateNotifications: 0,
    firing: ALERTS,
    resolved: ALERTS,
    deliveries: 2 * ALERTS,
    duplicateDeliveries: 0,
    undelivered: 0,
  });
  for (const s of pipeline.services) expect(s.child.exitCode, s.name).toBe(null);
});

async function alerterAckFloor(pipeline: Pipeline): Promise<number> {
  const m = await jetstreamManager(pipeline.nc, { timeout: 10_000 });
  return (await m.consumers.info(pipeline.subjects.streams.events, 'alerter')).ack_floor.stream_seq;
}
