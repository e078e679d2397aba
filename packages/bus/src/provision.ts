import { type JetStreamManager, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Subjects } from '@tocsin/events';

const NS_PER_MS = 1_000_000;
export const nanos = (ms: number) => Math.round(ms * NS_PER_MS);

export interface StreamSettings {
  /** Window in which a repeated Nats-Msg-Id is dropped by the server. */
  duplicateWindowMs: number;
  /** How long events and alerts are kept. */
  maxAgeMs: number;
  replicas: number;
  storage: 'file' | 'memory';
}

export const defaultStreamSettings: StreamSettings = {
  duplicateWindowMs: 2 * 60_000,
  maxAgeMs: 7 * 24 * 3_600_000,
  replicas: 1,
  storage: 'file',
};

async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subjects: string[],
  s: StreamSettings,
  maxAgeMs = s.maxAgeMs,
): Promise<void> {
  const config = {
    name,
    subjects,
    retention: RetentionPolicy.Limits,
    storage: s.storage === 'memory' ? StorageType.Memory : StorageType.File,
    duplicate_window: nanos(s.duplicateWindowMs),
    max_age: nanos(maxAgeMs),
    num_replicas: s.replicas,
  };
  try {
    const info = await jsm.streams.info(name);
    const c = info.config;
    if (
      c.duplicate_window !== config.duplicate_window ||
      c.max_age !== config.max_age ||
      c.subjects.join() !== subjects.join()
    ) {
      await jsm.streams.update(name, {
        subjects,
        duplicate_window: config.duplicate_window,
        max_age: config.max_age,
      });
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.streams.add(config);
    } catch (addErr) {
      // Another replica created it between our info and add: fine.
      if (!String(addErr).includes('already in use')) throw addErr;
    }
  }
}

export function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: number }; message?: string };
  return (
    e?.api_error?.err_code === 10059 ||
    e?.api_error?.err_code === 10014 ||
    /not found/i.test(String(e?.message ?? err))
  );
}

/** Creates or updates the events, alerts and dead-letter streams. Safe to call from every replica at start. */
export async function provisionStreams(
  nc: NatsConnection,
  subj: Subjects,
  settings: Partial<StreamSettings> = {},
): Promise<JetStreamManager> {
  const s = { ...defaultStreamSettings, ...settings };
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, subj.streams.events, [subj.events()], s);
  await ensureStream(jsm, subj.streams.alerts, [subj.alerts()], s);
  await ensureStream(jsm, subj.streams.deadLetter, [subj.deadLetterAll()], s, 30 * 24 * 3_600_000);
  return jsm;
}

export interface ConsumerSettings {
  stream: string;
  durable: string;
  filterSubject: string;
  /** Redelivery if not acked within this time. */
  ackWaitMs?: number;
  maxAckPending?: number;
}

/**
 * Creates a durable pull consumer that every replica of a service shares (work is spread across them), or brings an
 * existing one to these settings.
 *
 * The server's own `max_deliver` stays unlimited on purpose: the consume loop bounds deliveries itself
 * (`maxDeliver`) and dead-letters a message whose last allowed delivery fails. A server-side limit would drop a
 * message without a copy (only an advisory) when that last delivery is not acked, e.g. while the dead-letter stream
 * is unavailable; the loop instead tries the copy again on the next delivery and reports the consumer stuck meanwhile.
 */
export async function provisionConsumer(jsm: JetStreamManager, c: ConsumerSettings): Promise<void> {
  const config = {
    durable_name: c.durable,
    ack_policy: 'explicit' as const,
    filter_subject: c.filterSubject,
    ack_wait: nanos(c.ackWaitMs ?? 30_000),
    max_deliver: -1,
    max_ack_pending: c.maxAckPending ?? 1000,
    deliver_policy: 'all' as const,
  };
  try {
    const info = await jsm.consumers.info(c.stream, c.durable);
    if (
      info.config.ack_wait !== config.ack_wait ||
      info.config.max_ack_pending !== config.max_ack_pending ||
      info.config.filter_subject !== config.filter_subject ||
      (info.config.max_deliver ?? -1) !== config.max_deliver
    ) {
      await jsm.consumers.update(c.stream, c.durable, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
        filter_subject: config.filter_subject,
        max_deliver: config.max_deliver,
      });
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      // biome-ignore lint/suspicious/noExplicitAny: enum strings are what the server takes
      await jsm.consumers.add(c.stream, config as any);
    } catch (addErr) {
      if (!/already (in use|exists)/i.test(String(addErr))) throw addErr;
    }
  }
}
