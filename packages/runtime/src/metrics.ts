import type { ConsumeObserver, ConsumerHealth, Publisher, PublishResult } from '@tocsin/bus';
import { Counter, collectDefaultMetrics, Gauge, Histogram, type LabelValues, Registry } from 'prom-client';

/**
 * Counts for a prom-client counter kept in place, per set of label values, and added to it when the metrics are read
 * (`collect: () => tally.drain(counter)`): for counts bumped thousands of times a second, where a labelled `inc`
 * hashes its labels every time. A slot is one set of label values (always given with the same keys, in one order).
 */
export class Tally {
  readonly #slots = new Map<string, { labels: LabelValues<string>; n: number }>();

  /** The slot of these label values, to count in place (`slot.n++`). */
  slot(labels: LabelValues<string>): { n: number } {
    const key = Object.values(labels).join('\u0000');
    let s = this.#slots.get(key);
    if (!s) {
      s = { labels, n: 0 };
      this.#slots.set(key, s);
    }
    return s;
  }

  add(labels: LabelValues<string>): void {
    this.slot(labels).n++;
  }

  /** Adds what was counted since the last drain to `counter`. */
  drain(counter: Counter<string>): void {
    for (const s of this.#slots.values())
      if (s.n) {
        counter.inc(s.labels, s.n);
        s.n = 0;
      }
  }
}

/** The metrics every service exposes on /metrics, all prefixed `tocsin_`. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'tocsin_process_' });
  // The consume loops' message counts, per consumer, counted in place and added to their counters when the metrics
  // are read: a labelled increment hashes its labels, and there were two per message, thousands of messages a second.
  const receivedCounts = new Tally();
  const handledCounts = new Tally();
  new Counter({
    name: 'tocsin_messages_received_total',
    help: 'Messages received from JetStream',
    labelNames: ['consumer'],
    registers: [registry],
    collect() {
      receivedCounts.drain(this);
    },
  });
  new Counter({
    name: 'tocsin_messages_handled_total',
    help: 'Messages handled and acked',
    labelNames: ['consumer'],
    registers: [registry],
    collect() {
      handledCounts.drain(this);
    },
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
      const receivedHere = receivedCounts.slot(labels);
      const handledHere = handledCounts.slot(labels);
      return {
        received: () => {
          receivedHere.n++;
        },
        handled: (_s, ms) => {
          handledHere.n++;
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
