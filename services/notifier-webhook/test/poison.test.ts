import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DeadLetter } from '@tocsin/bus';
import type { Notification } from '@tocsin/events';
import { type RunningService, startService } from '@tocsin/runtime';
import { alertFixture, eventually, notificationFixture, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { notifierWebhookService } from '../src/index.ts';

// The acceptance test of poison messages (issue #8): 1,200 notifications that can never be delivered, then one real
// alert. Before the fix, the 1,005 of them that failed on every delivery held all 1,000 ack-pending slots of the
// consumer and the real alert was never delivered; the ones dead-lettered were terminated with a reason, which
// NATS 2.9 ignores, so they came back and were dead-lettered again after each duplicate window.

const BAD = { nul: 700, longKey: 300, oversized: 5, loneSurrogate: 195 };
const TOTAL_BAD = Object.values(BAD).reduce((a, b) => a + b, 0);
/** The streams' duplicate window in this test: short, so "never again after the window" is checked here. */
const WINDOW = '2s';

let env: TestEnv;
let nc: NatsConnection;
let server: Server;
let svc: RunningService;
const received: string[] = [];

beforeAll(async () => {
  env = await testEnv('webhook-poison');
  nc = await env.nats();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push((JSON.parse(body) as Notification).key);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  svc = await startService(notifierWebhookService, {
    config: {
      ...env.config,
      nats: { ...(env.config.nats as object), duplicate_window: WINDOW },
      webhook: { targets: [{ name: 'ops', url: `http://127.0.0.1:${port}/hook` }] },
    },
    env: {},
  });
});

afterAll(async () => {
  await svc?.stop();
  server?.close();
  await env?.cleanup();
});

function withKey(key: string, over: Partial<Notification> = {}): Notification {
  return {
    ...notificationFixture({ key, severity: 'critical' }, [alertFixture({ severity: 'critical' })]),
    ...over,
  };
}

/** The 1,200 notifications, as some other publisher (or an older tocsin) might have put them on the stream. */
function poison(): Notification[] {
  const out: Notification[] = [];
  // NUL in the delivery-log key: PostgreSQL refuses it (invalid byte sequence for encoding "UTF8": 0x00).
  for (let i = 0; i < BAD.nul; i++) out.push(withKey(`nul-${i}\u0000`));
  // Valid text, but too long for the delivery log's index (SQLSTATE 54000): fails on every delivery.
  for (let i = 0; i < BAD.longKey; i++) out.push(withKey(`long-${i}-${randomBytes(6_000).toString('hex')}`));
  // Nearly max_payload, and a NUL: the dead-letter copy (escaped quotes and all) cannot fit unless cut.
  const big = '"'.repeat((nc.info!.max_payload - 64 * 1024) / 2);
  for (let i = 0; i < BAD.oversized; i++) {
    const n = withKey(`big-${i}\u0000`);
    n.alerts[0]!.description = big;
    out.push(n);
  }
  // A lone surrogate: not valid Unicode (the contract's text policy).
  for (let i = 0; i < BAD.loneSurrogate; i++) out.push(withKey(`lone-${i}\uD800`));
  return out;
}

async function deadLetters(): Promise<DeadLetter[]> {
  const jsm = await jetstreamManager(nc);
  const subject = env.subjects.deadLetter('alerts', 'notifier-webhook');
  const info = await jsm.streams.info(env.subjects.streams.deadLetter, { subjects_filter: subject });
  const count = info.state.subjects?.[subject] ?? 0;
  const c = await jetstream(nc).consumers.get(env.subjects.streams.deadLetter, { filter_subjects: subject });
  const out: DeadLetter[] = [];
  for (let i = 0; i < count; i++) {
    const m = await c.next({ expires: 5_000 });
    if (!m) break;
    out.push(m.json<DeadLetter>());
  }
  return out;
}

async function storedDeadLetters(): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const subject = env.subjects.deadLetter('alerts', 'notifier-webhook');
  const info = await jsm.streams.info(env.subjects.streams.deadLetter, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

it('1,200 undeliverable notifications, then a real alert: the alert is delivered and each bad one dead-lettered exactly once', async () => {
  const js = jetstream(nc);
  const bad = poison();
  // Fifty publications in flight at a time, each given 30 s (a loaded machine); the real alert comes after them all.
  for (let i = 0; i < bad.length; i += 50)
    await Promise.all(
      bad.slice(i, i + 50).map((n) =>
        js.publish(env.subjects.alert(n.severity, n.source), JSON.stringify(n), {
          msgID: `notification:${n.key}`,
          timeout: 30_000,
        }),
      ),
    );
  const real = withKey('real-alert');
  const { seq: realSeq } = await js.publish(
    env.subjects.alert('critical', 'cosmos-ibc'),
    JSON.stringify(real),
    {
      msgID: 'notification:real-alert',
    },
  );
  expect(realSeq).toBe(TOTAL_BAD + 1);

  // A condition with a generous deadline, not a timing measurement.
  await eventually(() => received.includes('real-alert'), 60_000, 'the real alert delivered');
  await eventually(
    async () => (await storedDeadLetters()) >= TOTAL_BAD,
    60_000,
    'every bad one dead-lettered',
  );

  // Every bad message was resolved (acked): none is pending, so none can come back.
  const jsm = await jetstreamManager(nc);
  await eventually(
    async () =>
      (await jsm.consumers.info(env.subjects.streams.alerts, 'notifier-webhook')).num_ack_pending === 0,
    30_000,
    'no message pending on the consumer',
  );
  const ready = await svc.ctx.http.inject('/readyz');
  expect(ready.statusCode).toBe(200);

  // Nothing is pending, so nothing can come back (before the fix, terminated messages stayed pending on NATS 2.9,
  // came back after each ack wait and were stored again once the window had passed). Let the duplicate window
  // pass, as the server measures it (a probe id is a duplicate until the window since its first publication is
  // over), and count again.
  const probe = env.subjects.deadLetter('alerts', 'window-probe');
  const id = `probe-${Date.now()}`;
  await js.publish(probe, '{}', { msgID: id });
  await eventually(
    async () => !(await js.publish(probe, '{}', { msgID: id })).duplicate,
    30_000,
    'the window',
  );
  expect(await storedDeadLetters()).toBe(TOTAL_BAD);

  const copies = await deadLetters();
  const seqs = copies.map((d) => d.stream_seq);
  expect(new Set(seqs).size).toBe(TOTAL_BAD);
  expect(Math.max(...seqs)).toBe(TOTAL_BAD);
  const byKind = (re: RegExp) => copies.filter((d) => re.test(d.payload) || re.test(d.reason));
  expect(byKind(/"key":"nul-/)).toHaveLength(BAD.nul);
  for (const d of byKind(/"key":"nul-/))
    expect(d.issues).toEqual([
      expect.stringMatching(/^key: contains a NUL character \(U\+0000\) at offset \d+$/),
    ]);
  const long = copies.filter((d) => d.payload.includes('"key":"long-'));
  expect(long).toHaveLength(BAD.longKey);
  for (const d of long) expect(d.reason).toMatch(/index row/);
  const big = copies.filter((d) => d.payload.includes('"key":"big-'));
  expect(big).toHaveLength(BAD.oversized);
  for (const d of big) {
    expect(d.truncated).toBe(true);
    expect(d.payload_bytes).toBeGreaterThan(nc.info!.max_payload - 64 * 1024);
    expect(d.payload.length).toBeGreaterThan(nc.info!.max_payload / 4);
    expect(d.issues[0]).toMatch(/^key: contains a NUL character/);
  }
  expect(copies.filter((d) => d.payload.includes('"key":"lone-'))).toHaveLength(BAD.loneSurrogate);
  // Delivered once, and only the real one.
  expect(received).toEqual(['real-alert']);

  const metrics = (await svc.ctx.http.inject('/metrics')).body;
  const failed = (kind: string) =>
    Number(
      metrics.match(new RegExp(`tocsin_messages_failed_total\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)`))?.[1] ??
        0,
    );
  expect(failed('dead_letter_invalid')).toBe(BAD.nul + BAD.oversized + BAD.loneSurrogate);
  expect(failed('dead_letter_permanent')).toBe(BAD.longKey);
  expect(metrics).toMatch(/tocsin_consumer_stuck\{[^}]*consumer="notifier-webhook"[^}]*\} 0/);
}, 240_000);
