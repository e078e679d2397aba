import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fastNotificationDecoder } from '@tocsin/bus';
import { system } from '@tocsin/events';
import type { MigrationSet, ServiceContext, ServiceDefinition } from '@tocsin/runtime';
import type { z } from 'zod';
import { deliverNotification } from './delivery.ts';
import { DeliveryLog } from './deliveryLog.ts';
import { episodeOrder } from './episodeOrder.ts';
import type { Provider } from './provider.ts';
import { deliveryReason } from './reason.ts';

/**
 * Messages a notifier handles at once unless its service or config says otherwise. Deliveries are mostly waiting
 * (on PostgreSQL, on the chat platform), and their delivery-log writes are batched, so 32 keep a webhook receiver
 * busy without holding more than a few pool connections; rate limits are the providers' business (withBurstDigest,
 * the SDKs' queues).
 */
export const DEFAULT_CONCURRENCY = 32;

/** The delivery log tables, applied by every notifier service (shared history: `pgmigrations_notify`). */
export const notifyMigrations: MigrationSet = {
  name: 'notify',
  dir: join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations'),
};

export interface NotifierServiceOptions<S extends z.ZodType> {
  /** Service name, e.g. `notifier-discord`. */
  name: string;
  version?: string;
  config?: { section: string; schema: S };
  defaultPort?: number;
  /** Extra migrations of the service itself (e.g. Discord command state). */
  migrations?: MigrationSet[];
  /** Builds the provider (connects SDK clients, registers commands, routes); cleanup via ctx.onStop. */
  createProvider(ctx: ServiceContext<z.output<S>>): Promise<Provider> | Provider;
  /** Messages handled concurrently (deliveries to different alerts are independent). Default 32. */
  concurrency?: number;
  /** Ack wait of the durable consumer: how soon a message held by a crashed replica is redelivered. */
  ackWaitMs?: number;
  /** Consumer settings from the service's own config section; they override `concurrency` and `ackWaitMs`. */
  consumer?(section: z.output<S>): { concurrency?: number; ackWaitMs?: number };
}

/**
 * A notifier: its own durable consumer on `<prefix>.alerts.>` (replicas share it), the delivery log for
 * exactly-once per (notification, channel), retry with backoff for transient failures, and a delivery_failed
 * event for permanent ones.
 */
export function notifierService<S extends z.ZodType>(opts: NotifierServiceOptions<S>): ServiceDefinition<S> {
  return {
    name: opts.name,
    version: opts.version,
    config: opts.config,
    defaultPort: opts.defaultPort,
    migrations: [notifyMigrations, ...(opts.migrations ?? [])],
    async start(ctx) {
      const provider = await opts.createProvider(ctx);
      const fromConfig = opts.consumer?.(ctx.section) ?? {};
      const concurrency = fromConfig.concurrency ?? opts.concurrency ?? DEFAULT_CONCURRENCY;
      const ackWaitMs = fromConfig.ackWaitMs ?? opts.ackWaitMs;
      // Shared by the concurrent deliveries: their claims and marks go to PostgreSQL in batches.
      const log = new DeliveryLog(ctx.pool, provider.name, ackWaitMs ?? 30_000);
      const order = episodeOrder();
      const failures = ctx.metrics.errors;
      await ctx.consume({
        stream: 'alerts',
        durable: opts.name,
        filterSubject: ctx.subjects.alerts(),
        decode: fastNotificationDecoder(),
        concurrency,
        ...(ackWaitMs ? { ackWaitMs } : {}),
        handler: async (n) => {
          // An escalation step sent `notify_by` other notifiers is not for this one.
          if (n.notifiers?.length && !n.notifiers.includes(provider.name)) return;
          const episodes = [...new Set(n.alerts.map((a) => a.episode_id))];
          await order.run(episodes, () =>
            deliverNotification({
              pool: ctx.pool,
              provider,
              notification: n,
              leaseMs: ackWaitMs ?? 30_000,
              log,
              onAttempt: (channel, result, err) =>
                ctx.metrics.deliveries.inc({
                  notifier: provider.name,
                  channel_kind: provider.channelKind?.(channel) ?? 'channel',
                  result,
                  reason: err === undefined ? 'ok' : deliveryReason(err),
                }),
              onPermanentFailure: async (channel, err) => {
                failures.inc({ kind: 'delivery' });
                ctx.log.error(
                  { notifier: provider.name, channel, reason: err.message, key: n.key },
                  'delivery failed permanently',
                );
                await ctx.publisher.publish(system.deliveryFailed, {
                  chain_id: n.alerts[0]?.chain_id ?? '-',
                  dedup_key: `${provider.name}:${n.key}:${channel}`,
                  data: {
                    notifier: provider.name,
                    channel,
                    notification_key: n.key,
                    reason: err.message,
                    status: err.status,
                  },
                });
              },
            }),
          );
        },
      });
    },
  };
}
