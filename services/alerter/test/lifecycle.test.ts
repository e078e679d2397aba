import { Writable } from 'node:stream';
import type { NatsConnection } from '@nats-io/transport-node';
import { callRpc } from '@tocsin/bus';
import { cosmosIbc, type Notification, newId } from '@tocsin/events';
import { ManualClock } from '@tocsin/runtime';
import { createPool } from '@tocsin/store';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientStatus } from './fixtures.ts';
import { startAlerter, T0 } from './harness.ts';

/** Starting and stopping the alerter: what a stop leaves behind, what a restart sees. */
let env: TestEnv;

beforeAll(async () => {
  env = await testEnv('alerter-lifecycle');
});
afterAll(async () => {
  await env.cleanup();
});

function logSink() {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, dest };
}

const heartbeat = (service: string, instance: string, at: number, stopping = false) =>
  JSON.stringify({
    id: newId(at),
    source: 'system',
    type: 'heartbeat',
    version: 1,
    chain_id: '-',
    instance,
    observed_at: new Date(at).toISOString(),
    dedup_key: `${service}:${instance}:${at}`,
    data: { service, ready: true, uptime_s: 5, heights: {}, stopping },
  });

describe('stop', () => {
  it('heartbeats received before a stop are applied before the pool closes', async () => {
    const { lines, dest } = logSink();
    const h = await startAlerter(
      env,
      { consumer: { durable: 'stop_beats' } },
      { watchServices: true, logDest: dest },
    );
    const nc = h.running.ctx.nc;
    await h.syncCore();
    // A heartbeat batch held in its presence write (the table is locked), another queued behind it: the stop
    // begins while they wait.
    const lockPool = createPool({ url: env.databaseUrl, schema: env.schema, max: 1 });
    const locker = await lockPool.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE alerter_presence IN EXCLUSIVE MODE');
    h.nc.publish(env.subjects.health('svc-a'), heartbeat('svc-a', 'pod', h.clock.now()));
    await eventually(
      async () =>
        (
          await locker.query(
            `SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'alerter_presence'::regclass`,
          )
        ).rowCount,
      20_000,
      'the first heartbeat batch to wait for the presence table',
    );
    h.nc.publish(env.subjects.health('svc-b'), heartbeat('svc-b', 'pod', h.clock.now()));
    // Answered after the alerter received what this connection published before (the heartbeat above).
    await callRpc(h.nc, env.subjects.rpc('alerter', 'silences'), { active: true });
    const stopping = h.stop();
    // Past the RPC unsubscribe, the stop goes on to the consumers and then NATS and the pool; before the fix it
    // closed them with the heartbeats still waiting (given a few seconds here; after the fix it waits for them).
    await eventually(
      () =>
        callRpc(h.nc, env.subjects.rpc('alerter', 'silences'), { active: true }, 500).then(
          () => false,
          () => true,
        ),
      20_000,
      'the alerter to stop answering',
    );
    await eventually(() => nc.isClosed(), 3_000, 'NATS closed').catch(() => undefined);
    await locker.query('COMMIT');
    locker.release();
    await lockPool.end();
    await stopping;
    const problems = lines.filter((l) => (l.level as number) >= 40).map((l) => `${l.msg}: ${l.err ?? ''}`);
    expect(problems).toEqual([]);
  });

  it('a stop under load logs no error: nothing uses the pool after it is closed', async () => {
    const { lines, dest } = logSink();
    const h = await startAlerter(
      env,
      {
        defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 },
        consumer: { durable: 'stop_load' },
      },
      { watchServices: true, logDest: dest },
    );
    // Events that change state (notifications in flight) and heartbeats of many services, still arriving while
    // the stop runs.
    let i = 0;
    let stopped = false;
    const publishing = (async () => {
      while (!stopped) {
        const batch: Promise<unknown>[] = [];
        for (let k = 0; k < 50; k++, i++) {
          batch.push(
            h.publisher.publish(cosmosIbc.clientStatus, {
              chain_id: 'stop-1',
              dedup_key: `c${i % 50}:${i}`,
              data: clientStatus(`07-tendermint-${i % 50}`, { elapsed: i % 2 ? 45_000 : 1_000 }),
              observed_at: new Date(h.clock.now() + i),
            }),
          );
          h.nc.publish(
            env.subjects.health(`svc-${i % 30}`),
            heartbeat(`svc-${i % 30}`, 'pod', h.clock.now() + i),
          );
        }
        await Promise.all(batch);
      }
    })();
    while (i < 500) await new Promise((r) => setTimeout(r, 10));
    await h.stop();
    stopped = true;
    await publishing;
    const problems = lines.filter((l) => (l.level as number) >= 40).map((l) => `${l.msg}: ${l.err ?? ''}`);
    expect(problems.filter((p) => /pool/i.test(p))).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('restart', () => {
  it('an alerter restarted 29 min after a clean stop does not report the services it could not hear', async () => {
    const clock = new ManualClock(T0);
    const beat = (nc: NatsConnection, instance: string) =>
      nc.publish(
        env.subjects.health('notifier-webhook'),
        heartbeat('notifier-webhook', instance, clock.now()),
      );
    const silent = (ns: Notification[]) =>
      ns.flatMap((n) =>
        n.alerts
          .filter((a) => a.rule_id === 'service-silent' && a.labels.service === 'notifier-webhook')
          .map((a) => `${n.transition}:${a.labels.instance}`),
      );
    const opts = {
      defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 },
      consumer: { durable: 'restart' },
    };
    const first = await startAlerter(env, opts, { watchServices: true, clock });
    beat(first.nc, 'pod-w');
    beat(first.nc, 'pod-gone');
    await first.syncCore();
    // The whole stack stops: the alerter first, so the webhook's goodbye reaches nobody.
    await first.stop();
    clock.advance(29 * 60_000);

    const h = await startAlerter(env, opts, { watchServices: true, clock });
    try {
      await h.advance(1_000);
      expect(silent(await h.received())).toEqual([]);
      // The webhook is back (pod-w); pod-gone is not.
      for (let i = 0; i < 4; i++) {
        beat(h.nc, 'pod-w');
        await h.syncCore();
        await h.advance(30_000);
      }
      // 121 s after the restart: pod-gone has been silent for 2 minutes of listening.
      await h.advance(1_000);
      expect(silent(await h.received())).toEqual(['firing:pod-gone']);
    } finally {
      await h.stop();
    }
  });
});
