import { Writable } from 'node:stream';
import { createPublisher, provisionStreams } from '@tocsin/bus';
import { cosmosIbc } from '@tocsin/events';
import { createLogger, createMetrics, systemClock } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPublishQueue } from '../src/publishQueue.ts';

/**
 * `settled()` waits for the events queued before it was called, not for a moment the queue is empty: with
 * several chains publishing at once, one chain's scan must not wait for the events the others keep adding.
 */
let env: TestEnv;
beforeAll(async () => {
  env = await testEnv('publish-queue');
});
afterAll(() => env?.cleanup());

it('settled() resolves once the events queued before it are acknowledged, while others keep coming', async () => {
  const nc = await env.nats();
  await provisionStreams(nc, env.subjects, { duplicateWindowMs: 120_000, maxAgeMs: 3_600_000, replicas: 1 });
  const inner = createPublisher({ nc, subjects: env.subjects, instance: 'test' });
  const FEED = 2_000;
  let acked = 0;
  let fed = 0;
  const send = (key: string) =>
    queue.publish(cosmosIbc.scanCompleted, 'queue-1', key, {
      clients: 0,
      wallets: 0,
      errors: 0,
      skipped_expired: 0,
      duration_ms: 1,
      height: null,
    });
  // Another chain's scan: every acknowledgement brings a new event, so the queue is never empty until it stops.
  const publisher: typeof inner = {
    ...inner,
    publish: async (def, input) => {
      const r = await inner.publish(def, input);
      acked++;
      if (fed < FEED) send(`other-${fed++}`);
      return r;
    },
  };
  const log = createLogger({
    service: 'publish-queue',
    instance: 'test',
    level: 'warn',
    dest: new Writable({ write: (_c, _e, done) => done() }),
  });
  const queue = createPublishQueue({
    publisher,
    log,
    metrics: createMetrics('publish-queue'),
    bound: 10_000,
    clock: systemClock,
  });
  for (let i = 0; i < 8; i++) send(`mine-${i}`);
  await queue.settled();
  // Our 8 went first (the queue is ordered); the other chain's events were still coming in.
  expect(acked).toBeGreaterThanOrEqual(8);
  expect(fed).toBeLessThan(FEED);
  await queue.close();
}, 120_000);
