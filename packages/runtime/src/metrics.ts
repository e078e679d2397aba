import type { ConsumeObserver, ConsumerHealth, Publisher, PublishResult } from '@tocsin/bus';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The metrics every service exposes on /metrics, all prefixed `tocsin_`. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'tocsin_process_' });
  // The consume loops' message counts, per consumer, added to their counters when the metrics are read (`collect`):
  // a labelled increment hashes its labels, and there were two per message, thousands of messages a second.
  const counted = new Map<string, { labels: { consumer: string }; received: number; handled: number }>();
  const addCounted = () => {
    for (const c of counted.values()) {
      if (c.received) received.inc(c.labels, c.received);
      if (c.handled) handled.inc(c.labels, c.handled);
      c.received = 0;
      c.handled = 0;
    }
  };
  const received = new Counter({
    name: 'tocsin_messages_received_total',
    help: 'Messages received from JetStream',
    labelNames: ['consumer'],
    registers: [registry],
    collect: addCounted,
  });
  const handled = new Counter({
    name: 'tocsin_messages_handled_total',
    help: 'Messages handled and acked',
    labelNames: ['consumer'],
    registers: [registry],
    collect: addCounted,
  });
  const failed = new Counter({
    name: 'tocsin_messages_failed_total',
    help:
      'Messages that failed: retry (nak with backoff); dead_letter_invalid, dead_letter_permanent, ' +
      'dead_letter_exhausted (copied to the dead-letter stream and acked); dead_letter_failed (copy not published, retried)',
    labelNames: ['consumer', 'kind'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'tocsin_handler_duration_seconds',
    help: 'Time spent handling one message',
    labelNames: ['consumer'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const pending = new Gauge({
    name: 'tocsin_consumer_pending_messages',
    help: 'Messages waiting in the durable consumer (consumer lag)',
    labelNames: ['consumer'],
    registers: [registry],
  });
  const oldestPending = new Gauge({
    name: 'tocsin_consumer_oldest_pending_age_seconds',
    help: 'How long the oldest unacked message of the consumer has been pending (its ack floor standing still)',
    labelNames: ['consumer'],
    registers: [registry],
  });
  const stuck = new Gauge({
    name: 'tocsin_consumer_stuck',
    help: '1 when the consumer is stuck (oldest pending message older than nats.stuck_after, or not dead-lettered)',
    labelNames: ['consumer'],
    registers: [registry],
  });
  const published = new Counter({
    name: 'tocsin_events_published_total',
    help: 'Events published',
    labelNames: ['source', 'type', 'duplicate'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'tocsin_errors_total',
    help: 'Errors by kind (endpoint, delivery, internal, ...)',
    labelNames: ['kind'],
    registers: [registry],
  });
  // Exposed by every service (zero series until used), so dashboards and alert rules name one metric each.
  const deliveries = new Counter({
    name: 'tocsin_deliveries_total',
    help: 'Delivery attempts of a notification to one channel, by result (sent, retry, failed) and reason',
    labelNames: ['notifier', 'channel_kind', 'result', 'reason'],
    registers: [registry],
  });
  const endpointErrors = new Counter({
    name: 'tocsin_endpoint_errors_total',
    help: 'Chain endpoints given up on (timeouts, HTTP errors, malformed answers), by chain and kind',
    labelNames: ['chain_id', 'kind'],
    registers: [registry],
  });
  const heartbeats = new Counter({
    name: 'tocsin_heartbeats_sent_total',
    help: 'Heartbeats published on <prefix>.health.<service>',
    registers: [registry],
  });

  return {
    registry,
    published,
    errors,
    deliveries,
    endpointErrors,
    heartbeats,
    /** Observer for a consume loop, labelled with its consumer name. */
    consumer(name: string): ConsumeObserver {
      const labels = { consumer: name };
      let c = counted.get(name);
      if (!c) {
        c = { labels, received: 0, handled: 0 };
        counted.set(name, c);
      }
      const count = c;
      return {
        received: () => {
          count.received++;
        },
        handled: (_s, ms) => {
          count.handled++;
          latency.observe(labels, ms / 1000);
        },
        failed: (_s, kind) => failed.inc({ consumer: name, kind }),
        pending: (n) => pending.set({ consumer: name }, n),
      };
    },
    /** Records a consumer watch's result. */
    consumerHealth(name: string, h: ConsumerHealth): void {
      oldestPending.set({ consumer: name }, h.oldestPendingAgeMs / 1000);
      stuck.set({ consumer: name }, h.stuck ? 1 : 0);
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** The service's publisher, counting each event it publishes in `tocsin_events_published_total`. */
export function countingPublisher(publisher: Publisher, metrics: Metrics): Publisher {
  const count = (r: PublishResult) => {
    metrics.published.inc({ source: r.event.source, type: r.event.type, duplicate: String(r.duplicate) });
    return r;
  };
  return {
    js: publisher.js,
    publish: async (def, input) => count(await publisher.publish(def, input)),
    publishEnvelope: async (event) => count(await publisher.publishEnvelope(event)),
    publishNotification: (n, o) => publisher.publishNotification(n, o),
  };
}
