import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { createPublisher } from '@tocsin/bus';
import { cosmosIbc, type Notification } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cleanEnv, type ServiceProcess, spawnService, startedUrl } from './support/processes.ts';

// Horizontal scaling without Docker: 3 alerter and 2 notifier-webhook processes (each its own `main.ts
// --config`, as deployed) on one NATS and one PostgreSQL schema. 20,000 events, each about another IBC client
// past 80 % of its trusting period, so each opens its own alert and yields one notification. Every alert must
// reach the webhook receiver exactly once, and the shared durable consumer must spread the events over the
// alerters (each at least 20 %).
const EVENTS = 20_000;
const ALERTERS = 3;
const NOTIFIERS = 2;
const TRUSTING_PERIOD_S = 1_209_600;
const root = join(import.meta.dirname, '..');

let env: TestEnv;
let dir: string;
let receiver: Server;
const procs: ServiceProcess[] = [];
/** Every POST the receiver got: its Idempotency-Key and the clients of the firing alerts in it. */
const posts: { key: string; clients: string[] }[] = [];

beforeAll(async () => {
  env = await testEnv('scaling');
  dir = mkdtempSync(join(tmpdir(), 'tocsin-scaling-'));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const n = JSON.parse(body) as Notification;
      if (n.transition === 'firing')
        posts.push({
          key: String(req.headers['idempotency-key']),
          clients: n.alerts
            .filter((a) => a.rule_id === 'ibc-client-expiring')
            .map((a) => a.labels.client_id!),
        });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
  await new Promise((r) => receiver?.close(r));
  await env?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function clientStatus(i: number) {
  const elapsed = 1_000_000; // 83 % of 14 days: past the default warning ratio (80 %), 58 h left (not critical)
  return {
    client_id: `07-tendermint-${i}`,
    client_type: '07-tendermint',
    counterparty_chain_id: 'osmosis-1',
    connection_ids: [`connection-${i}`],
    status: 'Active' as const,
    trusting_period_s: TRUSTING_PERIOD_S,
    latest_height: { revision_number: '1', revision_height: String(1000 + i) },
    last_update: '2026-11-21T12:00:00.000Z',
    elapsed_s: elapsed,
    elapsed_ratio: elapsed / TRUSTING_PERIOD_S,
    remaining_s: TRUSTING_PERIOD_S - elapsed,
    expires_at: '2026-12-05T12:00:00.000Z',
  };
}

/** `tocsin_messages_handled_total` of the alerter's consumer, from its /metrics. */
async function handledBy(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^tocsin_messages_handled_total\{[^}]*consumer="alerter"[^}]*\} (\d+)$/m.exec(text);
  if (!m) throw new Error(`no tocsin_messages_handled_total for consumer "alerter" in ${url}/metrics`);
  return Number(m[1]);
}

async function until(
  what: string,
  deadlineMs: number,
  check: () => Promise<boolean> | boolean,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waited ${deadlineMs / 1000} s for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

it(`${ALERTERS} alerters and ${NOTIFIERS} notifiers: ${EVENTS} alerts delivered exactly once, the work spread`, async () => {
  const config = join(dir, 'tocsin.yaml');
  writeFileSync(
    config,
    stringify({
      subject_prefix: env.prefix,
      nats: { url: env.natsUrl },
      database: { url: env.databaseUrl, schema: env.schema, pool_size: 4 },
      http: { host: '127.0.0.1', port: 0 },
      log: { level: 'info' },
      alerter: {
        // One notification per alert, at once: no grouping, no group_wait, no wait for a higher-ranked alert.
        defaults: { group_by: ['...'], group_wait: 0, priority_wait: 0 },
        // … and no incident either (the shipped `ibc-relayer` one groups a path's clients across rules).
        incidents: [{ id: 'ibc-relayer', enabled: false }],
        // Small pulls, so that no replica takes the whole backlog while the others start.
        consumer: { batch: 100, max_ack_pending: 300 },
      },
      webhook: {
        targets: [
          {
            name: 'count',
            url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`,
            timeout: 120_000,
          },
        ],
      },
    }),
  );
  const start = (service: string, instance: string) => {
    const p = spawnService(
      process.execPath,
      ['--import', 'tsx', join(root, 'services', service, 'src', 'main.ts'), '--config', config],
      {
        env: { ...cleanEnv(), TOCSIN_INSTANCE: instance },
      },
    );
    procs.push(p);
    return startedUrl(instance, p, 180_000);
  };
  const alerters = await Promise.all(
    Array.from({ length: ALERTERS }, (_, i) => start('alerter', `alerter-${i + 1}`)),
  );
  await Promise.all(
    Array.from({ length: NOTIFIERS }, (_, i) => start('notifier-webhook', `notifier-${i + 1}`)),
  );

  const nc = await env.nats();
  const publisher = createPublisher({ nc, subjects: env.subjects, instance: 'scaling-test' });
  let next = 0;
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (next < EVENTS) {
        const i = next++;
        await publisher.publish(cosmosIbc.clientStatus, {
          chain_id: 'cosmoshub-4',
          dedup_key: `scaling:${i}`,
          data: clientStatus(i),
        });
      }
    }),
  );

  const clients = () => new Set(posts.flatMap((p) => p.clients));
  await until(
    `${EVENTS} alerts at the receiver (have ${clients().size})`,
    900_000,
    () => clients().size >= EVENTS,
  );
  // Then nothing left in flight anywhere: a late duplicate would have arrived by now.
  const jsm = await jetstreamManager(nc);
  await until('every consumer drained', 120_000, async () => {
    for (const stream of [env.subjects.streams.events, env.subjects.streams.alerts])
      for await (const c of jsm.consumers.list(stream))
        if (c.num_pending > 0 || c.num_ack_pending > 0) return false;
    return true;
  });

  const delivered = posts.flatMap((p) => p.clients);
  expect(clients().size).toBe(EVENTS);
  expect(delivered.length, 'alerts delivered more than once').toBe(EVENTS);
  expect(new Set(posts.map((p) => p.key)).size, 'a POST repeated (same Idempotency-Key)').toBe(posts.length);

  const handled = await Promise.all(alerters.map(handledBy));
  console.log(`events handled per alerter: ${handled.join(', ')} (of ${EVENTS} published)`);
  expect(handled.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(EVENTS);
  for (const [i, n] of handled.entries()) expect(n, `alerter-${i + 1}`).toBeGreaterThanOrEqual(EVENTS * 0.2);
}, 1_500_000);
