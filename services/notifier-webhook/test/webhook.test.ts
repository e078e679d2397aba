import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublisher } from '@tocsin/bus';
import { type EventEnvelope, type Notification, newId } from '@tocsin/events';
import type { RunningService } from '@tocsin/runtime';
import { startService } from '@tocsin/runtime';
import { collect, eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { notifierWebhookService } from '../src/index.ts';
import { signWebhook } from '../src/webhook.ts';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

let env: TestEnv;
let server: Server;
let svc: RunningService;
const received: Received[] = [];
/** Status codes to answer, in order; then 200. */
const script: number[] = [];
let receiverUrl = '';

/** The tocsin_deliveries_total lines of the service's /metrics. */
async function deliveries(): Promise<string> {
  const text = (await svc.ctx.http.inject('/metrics')).body;
  return text
    .split('\n')
    .filter((l) => l.startsWith('tocsin_deliveries_total{'))
    .join('\n');
}

function notification(key: string, channelHint = 'ok'): Notification {
  const episode = newId();
  return {
    id: newId(),
    version: 1,
    key,
    transition: 'firing',
    severity: 'critical',
    source: 'cosmos-ibc',
    group: { key: channelHint, labels: {} },
    mentions: [],
    created_at: new Date().toISOString(),
    alerts: [
      {
        fingerprint: 'fp',
        episode_id: episode,
        rule_id: 'ibc-client-expired',
        state: 'firing',
        severity: 'critical',
        source: 'cosmos-ibc',
        chain_id: channelHint === 'forbidden' ? 'forbidden-1' : 'cosmoshub-4',
        labels: {},
        summary: `client expired (${key})`,
        description: '',
        started_at: new Date().toISOString(),
        resolved_at: null,
        value: null,
        acknowledged: null,
        silenced_by: [],
        escalated: false,
        mentions: [],
        links: [],
        event_id: null,
        retracted: null,
      },
    ],
  };
}

beforeAll(async () => {
  env = await testEnv('notifier-webhook');
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const isForbiddenTarget = req.url?.startsWith('/forbidden');
      res.statusCode = isForbiddenTarget ? 403 : (script.shift() ?? 200);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  receiverUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-wh-'));
  writeFileSync(join(dir, 'secret'), 'whsec-test-key');
  chmodSync(join(dir, 'secret'), 0o600);
  svc = await startService(notifierWebhookService, {
    config: {
      ...env.config,
      webhook: {
        targets: [
          {
            name: 'ops',
            url: `${receiverUrl}/hook`,
            secret_file: join(dir, 'secret'),
            match: { chain_id: 'cosmoshub-4' },
          },
          { name: 'gone', url: `${receiverUrl}/forbidden`, match: { chain_id: 'forbidden-1' } },
        ],
      },
    },
    env: {},
  });
});

afterAll(async () => {
  await svc?.stop();
  server?.close();
  await env.cleanup();
});

it('posts each notification once, signed, with a stable idempotency key across retries', async () => {
  const nc = await env.nats();
  const p = createPublisher({ nc, subjects: env.subjects, instance: 't' });
  script.push(500);
  await p.publishNotification(notification('n-retry'));
  await p.publishNotification(notification('n-retry')); // a duplicate publication is dropped by JetStream
  await eventually(
    () => received.filter((r) => r.body.includes('n-retry')).length >= 2,
    15_000,
    'retry after 500',
  );
  const posts = received.filter((r) => r.body.includes('n-retry'));
  expect(posts).toHaveLength(2);
  expect(posts[0]!.headers['idempotency-key']).toBe(posts[1]!.headers['idempotency-key']);
  const ts = String(posts[1]!.headers['x-tocsin-timestamp']);
  expect(posts[1]!.headers['x-tocsin-signature']).toBe(signWebhook('whsec-test-key', ts, posts[1]!.body));
  // The receiver has answered 200; the notifier records `sent` right after it reads that answer.
  const state = async () =>
    (
      await svc.ctx.pool.query<{ state: string }>(
        "SELECT state FROM notify_deliveries WHERE notification_key = 'n-retry'",
      )
    ).rows;
  await eventually(async () => (await state())[0]?.state === 'sent', 30_000, 'delivery recorded as sent');
  expect(await state()).toEqual([{ state: 'sent' }]);
  // The 500 and the 200 as tocsin_deliveries_total sees them.
  await eventually(async () => (await deliveries()).includes('result="sent"'), 15_000, 'sent counted');
  const counted = await deliveries();
  expect(counted).toContain(
    'tocsin_deliveries_total{notifier="webhook",channel_kind="webhook",result="retry",reason="http_5xx",service="notifier-webhook"} 1',
  );
  expect(counted).toMatch(
    /^tocsin_deliveries_total\{notifier="webhook",channel_kind="webhook",result="sent",reason="ok",service="notifier-webhook"\} [1-9]/m,
  );
});

it('a permanent 4xx becomes a delivery_failed event and is not retried', async () => {
  const nc = await env.nats();
  const failed = collect<EventEnvelope>(nc, env.subjects.event('system', 'delivery_failed'));
  const p = createPublisher({ nc, subjects: env.subjects, instance: 't' });
  await p.publishNotification(notification('n-403', 'forbidden'));
  const [ev] = await failed.waitFor(1);
  expect(ev!.data).toMatchObject({
    notifier: 'webhook',
    channel: 'webhook:gone',
    notification_key: 'n-403',
    status: 403,
  });
  expect(received.filter((r) => r.body.includes('n-403'))).toHaveLength(1);
  await eventually(async () => (await deliveries()).includes('result="failed"'), 15_000, 'failure counted');
  expect(await deliveries()).toContain(
    'tocsin_deliveries_total{notifier="webhook",channel_kind="webhook",result="failed",reason="forbidden",service="notifier-webhook"} 1',
  );
  failed.stop();
});
