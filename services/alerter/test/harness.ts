import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { callRpc, createPublisher, type Publisher } from '@tocsin/bus';
import { type EventEnvelope, type Notification, newId, notification } from '@tocsin/events';
import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import type { Pool, PoolClient } from '@tocsin/store';
import { collect, eventually, type TestEnv } from '@tocsin/testkit';
import { expect } from 'vitest';
import type { AlerterConfig } from '../src/config.ts';
import { type AlerterHandle, createAlerterService } from '../src/service.ts';

export const T0 = Date.parse('2026-11-20T12:00:00Z');

export interface Harness {
  clock: ManualClock;
  handle: AlerterHandle;
  running: RunningService<AlerterConfig>;
  nc: NatsConnection;
  publisher: Publisher;
  notifications: ReturnType<typeof collect<Notification>>;
  /** Publishes a raw envelope (for event types the registry does not know). */
  emit(
    source: string,
    type: string,
    data: Record<string, unknown>,
    o?: Partial<EventEnvelope>,
  ): Promise<void>;
  /** Waits until every event published so far has been applied and acked. */
  settle(): Promise<void>;
  /**
   * Waits until core-NATS messages sent so far (heartbeats) are applied: a request to the alerter on the same
   * connection is answered only after it received what was published before it.
   */
  syncCore(): Promise<void>;
  /** Advances the clock and runs the timers. */
  advance(ms: number): Promise<void>;
  /** Notifications received so far (after letting in-flight ones arrive). */
  received(): Promise<Notification[]>;
  /** Those of them whose first alert is of this chain. */
  receivedOn(chainId: string): Promise<Notification[]>;
  /** Calls one of the alerter's RPC methods on the test's prefix. */
  rpc<R = never>(method: string, body: unknown): Promise<R>;
  stop(): Promise<void>;
}

/** Starts an alerter in this process on the test's NATS prefix and schema, with a manual clock. */
export async function startAlerter(
  env: TestEnv,
  alerter: Record<string, unknown> = {},
  opts: { clock?: ManualClock; watchServices?: boolean; logDest?: NodeJS.WritableStream } = {},
): Promise<Harness> {
  const clock = opts.clock ?? new ManualClock(T0);
  let handle: AlerterHandle | undefined;
  const running = await startService(
    createAlerterService({
      onReady: (h) => {
        handle = h;
      },
    }),
    {
      argv: [],
      env: { ...env.env, TOCSIN_HTTP_PORT: '0' },
      clock,
      ...(opts.logDest ? { logDest: opts.logDest } : {}),
      config: {
        ...env.config,
        alerter: {
          tick_interval: 0,
          ...alerter,
          // The alerter's own heartbeats run on real time; with a manual clock it would look silent.
          rules: [
            ...(opts.watchServices ? [] : [{ id: 'service-silent', enabled: false }]),
            ...((alerter.rules as unknown[]) ?? []),
          ],
        },
      },
    },
  );
  const nc = await env.nats();
  const notifications = collect<Notification>(nc, env.subjects.alerts());
  const publisher = createPublisher({ nc, subjects: env.subjects, instance: 'test', now: () => clock.now() });
  const jsm = await jetstreamManager(nc);
  const durable = (alerter.consumer as { durable?: string } | undefined)?.durable ?? 'alerter';

  const settle = async () => {
    await eventually(
      async () => {
        const info = await jsm.consumers.info(env.subjects.streams.events, durable);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      20_000,
      'the alerter to apply every event',
    );
    await handle!.idle();
  };
  const h: Harness = {
    clock,
    handle: handle!,
    running,
    nc,
    publisher,
    notifications,
    async emit(source, type, data, o = {}) {
      const now = clock.now();
      await publisher.publishEnvelope({
        id: newId(now),
        source,
        type,
        version: 1,
        chain_id: 'test-1',
        instance: 'test',
        observed_at: new Date(now).toISOString(),
        dedup_key: newId(now),
        data,
        ...o,
      });
    },
    settle,
    async syncCore() {
      await callRpc(nc, env.subjects.rpc('alerter', 'silences'), { active: true });
      await handle!.idle();
    },
    async advance(ms) {
      clock.advance(ms);
      await handle!.tick();
    },
    async received() {
      await nc.flush();
      // Publishing is awaited before acks, so after settle() every notification is in flight already.
      await new Promise((r) => setImmediate(r));
      await nc.flush();
      // The alerter publishes what it builds without parsing it against the schema (publishNotification's
      // `built`): every notification it sent must be exactly what the schema parses it to (no default missing,
      // no field the schema drops, nothing it refuses).
      for (const n of notifications.items) expect(notification.parse(n)).toEqual(n);
      return notifications.items;
    },
    async receivedOn(chainId) {
      return (await h.received()).filter((n) => n.alerts[0]!.chain_id === chainId);
    },
    rpc: <R = never>(method: string, body: unknown) =>
      callRpc<R>(nc, env.subjects.rpc('alerter', method), body),
    async stop() {
      notifications.stop();
      await running.stop();
    },
  };
  return h;
}

/** Every alert transition in a list of notifications: `<episode>:<transition>`. */
export function transitionsOf(ns: Notification[]): string[] {
  return ns.flatMap((n) => n.alerts.map((a) => `${a.episode_id}:${n.transition}`));
}

/** Waits until a session of `pool` (the alerter's batch) waits for a lock `holder`'s open transaction holds. */
export async function lockWaited(pool: Pool, holder: PoolClient): Promise<void> {
  const pid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  await eventually(
    async () =>
      (
        await pool.query(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
          [pid],
        )
      ).rows[0].n > 0,
    20_000,
    'the batch waiting for the lock',
  );
}
