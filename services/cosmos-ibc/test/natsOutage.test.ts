import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { connectBus, createPublisher, provisionStreams } from '@tocsin/bus';
import { cosmosIbc, type EventEnvelope, subjects } from '@tocsin/events';
import { createLogger, createMetrics, systemClock } from '@tocsin/runtime';
import { eventually, freePort, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublishQueue } from '../src/publishQueue.ts';
import { type Stack, startStack } from './stack.ts';

/**
 * A NATS outage while cosmos-ibc publishes: a nats-server of this test's own (its own port and store) is stopped
 * and started again. Events published meanwhile are held in order and sent when it is back, the scan does not
 * wait for it, and beyond `publish_buffer` the oldest are dropped with the loss counted and logged.
 */
let port: number;
let storeDir: string;
let server: ChildProcess | undefined;
let natsUrl: string;

const answers = () =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
async function startNats() {
  server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
    stdio: 'ignore',
  });
  await eventually(answers, 20_000, `nats-server on ${port}`);
}
async function stopNats() {
  const child = server!;
  server = undefined;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  port = await freePort();
  storeDir = mkdtempSync(join(tmpdir(), 'cosmos-ibc-outage-nats-'));
  natsUrl = `nats://127.0.0.1:${port}`;
  await startNats();
});
afterAll(async () => {
  if (server) await stopNats();
  rmSync(storeDir, { recursive: true, force: true });
});

/** The events in a stream, in stream order. */
async function streamEvents(stream: string): Promise<EventEnvelope[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info(stream);
    const out: EventEnvelope[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m) out.push(m.json<EventEnvelope>());
    }
    return out;
  } finally {
    await nc.close();
  }
}

function logSink() {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, dest };
}

describe('the publish queue across a NATS restart', () => {
  it('holds what is published meanwhile, drops the oldest beyond its bound (counted, logged), sends the rest in order', async () => {
    const prefix = `t_outage_queue_${Date.now().toString(36)}`;
    const subj = subjects(prefix);
    const nc = await connectBus({ url: natsUrl, name: 'outage-queue', reconnectWaitMs: 100 });
    await provisionStreams(nc, subj, { duplicateWindowMs: 120_000, maxAgeMs: 3_600_000, replicas: 1 });
    const publisher = createPublisher({ nc, subjects: subj, instance: 'test' });
    const metrics = createMetrics('outage-queue');
    const logs = logSink();
    const log = createLogger({ service: 'outage-queue', instance: 'test', level: 'info', dest: logs.dest });
    const queue = createPublishQueue({ publisher, log, metrics, bound: 50, clock: systemClock });
    const send = (key: string) =>
      queue.publish(cosmosIbc.scanCompleted, 'outage-1', key, {
        clients: 0,
        wallets: 0,
        errors: 0,
        skipped_expired: 0,
        duration_ms: 1,
        height: null,
      });
    const keys = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `k-${String(from + i).padStart(3, '0')}`);
    try {
      for (const k of keys(0, 5)) send(k);
      await queue.settled();

      await stopNats();
      for (const k of keys(100, 200)) send(k);
      // Settles once the outage is noticed (the events are held, not lost): a scan would go on from here.
      await queue.settled();
      expect(queue.size).toBe(50);
      expect(logs.lines.map((l) => l.msg)).toEqual(
        expect.arrayContaining([
          'NATS does not take events; holding them in order and retrying',
          'more events wait than publish_buffer holds; dropping the oldest until NATS is back',
        ]),
      );

      await startNats();
      await eventually(() => queue.size === 0, 60_000, 'the held events to be published');
      const stored = (await streamEvents(subj.streams.events)).map((e) => e.dedup_key);
      // The publish under way when NATS went away (the first, sent alone as it came) keeps its place; the oldest
      // behind it were dropped, the newest kept in order, none twice.
      expect(stored).toEqual([...keys(0, 5), 'k-100', ...keys(151, 200)]);
      expect(logs.lines.find((l) => typeof l.dropped === 'number')).toMatchObject({
        dropped: 50,
        msg: expect.stringMatching(/^NATS takes events again; 50 events were dropped/),
      });
      expect(
        await metrics.registry.getSingleMetricAsString('tocsin_cosmos_ibc_events_dropped_total'),
      ).toMatch(/^tocsin_cosmos_ibc_events_dropped_total\{[^}]*\} 50$/m);
    } finally {
      await queue.close();
      await nc.close();
    }
  }, 120_000);
});

describe('a scan during a NATS outage', () => {
  let s: Stack;
  beforeAll(async () => {
    const shared = await testEnv('cosmos-ibc-outage');
    const env = {
      ...shared,
      natsUrl,
      env: { ...shared.env, NATS_URL: natsUrl },
      config: { ...shared.config, nats: { url: natsUrl } },
      nats: () => connect({ servers: natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100 }),
    };
    s = await startStack({
      name: 'cosmos-ibc-outage',
      env,
      captureLogs: true,
      scenario: {
        chains: [
          {
            chain_id: 'outage-1',
            generate_clients: { count: 12, seed: 5, counterparty_chain_ids: ['osmosis-1'] },
          },
        ],
      },
      section: {
        subscriptions_timeout: '300ms',
        chains: [{ chain_id: 'outage-1', rpc: ['sim:outage-1'], denom: 'stake', display_denom: 'STAKE' }],
      },
    });
    (s as { cleanupShared?: () => Promise<void> }).cleanupShared = () => shared.cleanup();
  });
  afterAll(async () => {
    await s?.stop();
    await (s as { cleanupShared?: () => Promise<void> })?.cleanupShared?.();
  });

  it('completes without waiting for NATS; its events are stored in order once NATS is back', async () => {
    await s.ingestor.scanOnce();
    await stopNats();
    s.clock.advance(600_000);
    const [summary] = await s.ingestor.scanOnce();
    expect(summary).toMatchObject({ clients: 12, errors: 0 });
    expect(
      s.logs.some((l) => l.msg === 'NATS does not take events; holding them in order and retrying'),
    ).toBe(true);

    await startNats();
    const completedKey = `outage-1:${s.clock.now()}:local`;
    const stored = await eventually(
      async () => {
        const events = await streamEvents(s.env.subjects.streams.events);
        return events.some((e) => e.dedup_key === completedKey) ? events : undefined;
      },
      60_000,
      'the outage scan to reach the stream',
    );
    const during = stored!.filter((e) => e.observed_at === new Date(s.clock.now()).toISOString());
    const statuses = during.filter((e) => e.type === 'client_status');
    expect(new Set(statuses.map((e) => (e.data as { client_id: string }).client_id)).size).toBe(12);
    expect(statuses).toHaveLength(12);
    // In the order they were published: the scan's summary comes last.
    expect(during.at(-1)).toMatchObject({ type: 'scan_completed', dedup_key: completedKey });
  }, 120_000);
});
