import { isEventValidationError, type Publisher } from '@tocsin/bus';
import type { EventDefinition } from '@tocsin/events';
import type { Clock, Logger, Metrics } from '@tocsin/runtime';
import { Counter, Gauge } from 'prom-client';
import type { z } from 'zod';

/**
 * Events are published in groups of this many, sent together (one write to NATS) and acknowledged before the next
 * group. Kept small on purpose: with more JetStream requests in flight, nats.js' request path gets each publish's
 * objects promoted to the old generation, where they stay until a full GC. In a process with a large heap,
 * 20,000 publishes promoted 0.5 MB with 1 in flight, about 5 MB with 3, 35 MB with 8 and 44 MB with 16; with 128
 * in flight, publishing was half of what a 5,000-client scan grew the heap by. Groups of 4 still publish thousands
 * of events per second.
 */
const PUBLISH_GROUP = 4;
/** Events waiting beyond which a scan waits before reading more clients (while NATS takes events). */
const PUBLISH_BACKLOG = 32;
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

interface Pending {
  send(): Promise<{ duplicate: boolean }>;
  type: string;
  source: string;
  chainId: string;
}

export interface PublishQueueOptions {
  publisher: Publisher;
  log: Logger;
  metrics: Metrics;
  /** Events held at most while NATS does not take them; beyond it the oldest are dropped (counted, logged). */
  bound: number;
  /** The injected clock: an event's `observed_at` is when it was queued, whenever it is sent. */
  clock: Clock;
}

export interface PublishQueue {
  /** Queues one event; it is sent in order, after every event queued before it. */
  publish<S extends z.ZodType>(
    def: EventDefinition<S>,
    chainId: string,
    dedupKey: string,
    data: z.input<S>,
  ): void;
  /** Resolves once there is room for more (undefined, no wait, if there is): at once while NATS is unreachable. */
  room(): Promise<void> | undefined;
  /**
   * Resolves once every event queued so far is acknowledged, or held for retry while NATS is unreachable (a
   * scan does not wait for an outage to end; what it published goes out in order when NATS is back).
   */
  settled(): Promise<void>;
  /** Events held, not yet acknowledged. */
  readonly size: number;
  /** Stops retrying: waits for the publishes in progress, reports what is still held as lost. */
  close(): Promise<void>;
}

/**
 * The ingestor's outbox to NATS: one ordered, bounded, in-memory queue. A publish that fails for a reason that can
 * pass (NATS down or restarting, JetStream not answering) is retried with backoff, the events behind it keep
 * their place, and scans go on meanwhile; beyond `bound` events the oldest waiting are dropped, counted in
 * `tocsin_cosmos_ibc_events_dropped_total` and logged. Retries reuse the event's `Nats-Msg-Id`, so an event whose
 * acknowledgement was lost is not stored twice. An event the contract refuses is logged and dropped at once.
 */
export function createPublishQueue(opts: PublishQueueOptions): PublishQueue {
  const { log, metrics } = opts;
  /** Ends the wait between retries early (on close). */
  let interrupt: (() => void) | undefined;
  /** A real wait, for NATS to come back: not a time the service reasons about, so not the injected clock. */
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      interrupt = () => {
        clearTimeout(t);
        resolve();
      };
    });
  const buffered = new Gauge({
    name: 'tocsin_cosmos_ibc_events_buffered',
    help: 'Events waiting to be published (held while NATS does not take them)',
    registers: [metrics.registry],
  });
  const dropped = new Counter({
    name: 'tocsin_cosmos_ibc_events_dropped_total',
    help: 'Events dropped, oldest first, because more than publish_buffer waited while NATS was unreachable',
    registers: [metrics.registry],
  });

  const queue: Pending[] = [];
  /** Events ever queued; `queued - queue.length` have left the queue (acknowledged, refused or dropped). */
  let queued = 0;
  /** How many events at the head of the queue are being sent (they keep their place until acknowledged). */
  let sending = 0;
  let pumping: Promise<void> | undefined;
  /** NATS refused the last attempt: events are being held. */
  let outage: { since: number; droppedAtStart: number } | undefined;
  let droppedTotal = 0;
  /** The first drop of an outage is logged when it happens; the total when NATS is back. */
  let dropLogged = false;
  let closing = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    buffered.set(queue.length);
    for (const w of [...waiters]) w();
  };
  const until = (ready: () => boolean): Promise<void> | undefined =>
    ready()
      ? undefined
      : new Promise<void>((resolve) => {
          const check = () => {
            if (!ready()) return;
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
        });

  const attempt = async (group: Pending[]): Promise<Pending[]> => {
    const failed: Pending[] = [];
    let firstError: unknown;
    await Promise.all(
      group.map(async (p) => {
        try {
          // Counted in tocsin_events_published_total by the runtime's publisher.
          await p.send();
        } catch (err) {
          if (isEventValidationError(err)) {
            metrics.errors.inc({ kind: 'publish' });
            log.error(
              { err: err.message, type: p.type, chain_id: p.chainId },
              'event refused by the contract; dropped',
            );
            return;
          }
          firstError ??= err;
          failed.push(p);
        }
      }),
    );
    if (failed.length && !outage) {
      outage = { since: Date.now(), droppedAtStart: droppedTotal };
      metrics.errors.inc({ kind: 'publish' });
      log.warn(
        { err: String(firstError), held: queue.length },
        'NATS does not take events; holding them in order and retrying',
      );
      dropOldest();
    }
    // Keep the failed ones in their original order at the head.
    return group.filter((p) => failed.includes(p));
  };

  const pump = async () => {
    let backoff = FIRST_RETRY_MS;
    while (queue.length && !closing) {
      sending = Math.min(PUBLISH_GROUP, queue.length);
      const group = queue.slice(0, sending);
      const failed = await attempt(group);
      queue.splice(0, sending, ...failed);
      sending = 0;
      if (failed.length) {
        wake();
        if (closing) break;
        await sleep(backoff);
        backoff = Math.min(MAX_RETRY_MS, backoff * 2);
        continue;
      }
      if (outage) {
        const lost = droppedTotal - outage.droppedAtStart;
        log[lost ? 'warn' : 'info'](
          { down_s: Math.round((Date.now() - outage.since) / 1000), dropped: lost, held: queue.length },
          lost
            ? `NATS takes events again; ${lost} events were dropped (more than publish_buffer waited), the rest follow in order`
            : 'NATS takes events again; the events held follow in order',
        );
        outage = undefined;
        dropLogged = false;
      }
      backoff = FIRST_RETRY_MS;
      wake();
    }
  };
  const kick = () => {
    pumping ??= pump().finally(() => {
      pumping = undefined;
      wake();
      if (queue.length && !closing) kick();
    });
  };

  const dropOldest = () => {
    // Only while NATS refuses events (otherwise `room()` holds the scans back); the group being sent keeps its
    // place (its attempt is under way), the oldest behind it go first.
    if (!outage) return;
    const excess = queue.length - Math.max(opts.bound, sending);
    if (excess <= 0) return;
    queue.splice(sending, excess);
    if (!dropLogged)
      log.warn(
        { bound: opts.bound },
        'more events wait than publish_buffer holds; dropping the oldest until NATS is back',
      );
    dropLogged = true;
    droppedTotal += excess;
    dropped.inc(excess);
    metrics.errors.inc({ kind: 'publish' }, excess);
  };

  return {
    publish(def, chainId, dedupKey, data) {
      const observed_at = new Date(opts.clock.now());
      queued++;
      queue.push({
        send: () =>
          opts.publisher.publish(def, { chain_id: chainId, dedup_key: dedupKey, data, observed_at }),
        type: def.type,
        source: def.source,
        chainId,
      });
      dropOldest();
      buffered.set(queue.length);
      kick();
    },
    room: () => until(() => outage !== undefined || closing || queue.length <= PUBLISH_BACKLOG),
    settled: async () => {
      // The events queued so far, not an empty queue: other chains' scans keep adding theirs. Outside an outage
      // events leave in order (drops happen only during one), so this many gone means ours are.
      const mark = queued;
      await until(() => outage !== undefined || closing || queued - queue.length >= mark);
    },
    get size() {
      return queue.length;
    },
    async close() {
      await until(() => outage !== undefined || queue.length === 0);
      closing = true;
      wake();
      interrupt?.();
      await pumping;
      if (queue.length) {
        metrics.errors.inc({ kind: 'publish' }, queue.length);
        log.error(
          { lost: queue.length },
          'stopping while NATS does not take events; the events held are lost',
        );
      }
    },
  };
}
