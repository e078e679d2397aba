import { type ConsumerMessages, type JsMsg, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type DeadLetterCause, deadLetterJson } from './deadLetter.ts';
import { isPermanent, isUnavailable } from './errors.ts';
import { type Log, silentLog } from './log.ts';

export type Decoded<T> = { ok: true; value: T } | { ok: false; issues: string[] };

export interface MessageContext {
  subject: string;
  /** Stream sequence: unique and stable per stored message, so handlers can use it as an idempotency key. */
  streamSeq: number;
  deliveryCount: number;
  msgId: string | undefined;
  /** When the stream stored the message (ms since the epoch): the same on every delivery and every replica. */
  storedAt: number;
  /** Extends the ack deadline for long work. */
  working(): void;
}

/** Hooks for metrics; the runtime wires them to prom-client. */
export interface ConsumeObserver {
  received?(subject: string): void;
  handled?(subject: string, ms: number): void;
  /**
   * `retry` (nak with backoff), `dead_letter_<cause>` (copied to the dead-letter subject and acked; cause `invalid`,
   * `permanent` or `exhausted`), or `dead_letter_failed` (the copy could not be published: retried later).
   */
  failed?(subject: string, kind: 'retry' | `dead_letter_${DeadLetterCause}` | 'dead_letter_failed'): void;
  pending?(n: number): void;
}

export interface ConsumeLoopOptions<T> {
  nc: NatsConnection;
  stream: string;
  durable: string;
  /**
   * Where a message that can never be processed is copied before it is acked: one that fails decoding/validation, a
   * permanent error, or the last allowed delivery failing.
   */
  deadLetterSubject: string;
  decode(raw: Uint8Array, subject: string): Decoded<T>;
  handler(value: T, ctx: MessageContext): Promise<void>;
  log?: Log;
  observer?: ConsumeObserver;
  /** Messages pulled per request. */
  batch?: number;
  /** Redelivery delay for the n-th failed delivery. */
  backoffMs?(deliveryCount: number): number;
  /**
   * Deliveries allowed per message (default 10): when a delivery at or past it fails, the message is dead-lettered,
   * unless the failure says a dependency is unavailable (`isUnavailable`): those are retried until it is back.
   */
  maxDeliver?: number;
  /** Errors that retrying cannot fix, besides PermanentError (e.g. the store's data errors). */
  isPermanent?(err: unknown): boolean;
  /** Errors that say a dependency is down, besides the network and NATS ones (e.g. the store's connection errors). */
  isUnavailable?(err: unknown): boolean;
  /** Handle up to this many messages at once (order is then only per in-flight window). Default 1. */
  concurrency?: number;
  /**
   * The consumer's ack wait. When given, a message whose handler is still running after a third of it has its
   * deadline extended (`working`), so slow work (a rate-limit wait) is not redelivered to another replica while it is
   * in progress; for at most `maxWorkingMs` (default 10 ack waits), so a hung handler's message is still released.
   */
  ackWaitMs?: number;
  maxWorkingMs?: number;
}

export interface ConsumeLoop {
  /** Stops pulling, lets in-flight handlers finish (their messages are acked), returns unacked ones to the stream. */
  stop(): Promise<void>;
  readonly done: Promise<void>;
  /**
   * Stream sequences of messages whose dead-letter copy could not be published yet (they come back and the copy is
   * tried again). Entries are removed once resolved here, or by `resolvedUpTo` (the consumer's ack floor).
   */
  readonly overdue: ReadonlySet<number>;
  resolvedUpTo(streamSeq: number): void;
}

export const defaultBackoff = (n: number) => Math.min(30_000, 250 * 2 ** Math.max(0, n - 1));
export const DEFAULT_MAX_DELIVER = 10;

const PENDING_EVERY_MS = 100;
/** Dead letters remembered until their copy is published (beyond this, the handler decides again). */
const REMEMBERED_FAILURES = 10_000;

/**
 * Runs a durable pull consumer shared by every replica: ack after the handler succeeds, nak with backoff when it
 * throws, and when the message can never succeed (invalid, a permanent error, max_deliver reached) a dead-letter
 * copy and then an ack, so it never comes back (an ack means the same on every server version; `term` with a reason
 * is ignored by NATS 2.9). Survives reconnects and consumer loss.
 */
export function startConsumeLoop<T>(opts: ConsumeLoopOptions<T>): ConsumeLoop {
  const log = opts.log ?? silentLog;
  const js = jetstream(opts.nc);
  const backoff = opts.backoffMs ?? defaultBackoff;
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const maxDeliver = Math.max(1, opts.maxDeliver ?? DEFAULT_MAX_DELIVER);
  const permanent = (err: unknown) => isPermanent(err) || opts.isPermanent?.(err) === true;
  const unavailable = (err: unknown) => isUnavailable(err) || opts.isUnavailable?.(err) === true;
  const overdue = new Set<number>();
  // Dead letters whose copy could not be published: the next delivery publishes the copy, without the handler.
  const unpublished = new Map<number, { cause: DeadLetterCause; reason: string }>();
  const remember = (seq: number, cause: DeadLetterCause, reason: string) => {
    unpublished.delete(seq);
    unpublished.set(seq, { cause, reason });
    if (unpublished.size > REMEMBERED_FAILURES) unpublished.delete(unpublished.keys().next().value as number);
  };
  let stopped = false;
  let messages: ConsumerMessages | undefined;
  // Ends the wait before resubscribing, so stop() need not sit out the backoff.
  let wake: (() => void) | undefined;
  // A counting semaphore for concurrency > 1: O(1) per message (racing every in-flight promise is O(n)).
  let active = 0;
  let slotFree: (() => void) | undefined;
  let idle: (() => void) | undefined;
  const release = () => {
    active--;
    const wake = slotFree;
    slotFree = undefined;
    wake?.();
    if (active === 0) {
      const done = idle;
      idle = undefined;
      done?.();
    }
  };
  const allSettled = () => (active === 0 ? Promise.resolve() : new Promise<void>((r) => (idle = r)));
  // Messages being handled, with when their handler started: one sweep extends the slow ones (a timer per message
  // would cost more than the handlers of a fast consumer).
  const inFlight = new Map<JsMsg, number>();
  const ackWait = opts.ackWaitMs ?? 0;
  const maxWorking = opts.maxWorkingMs ?? ackWait * 10;
  const keepAlive =
    ackWait > 0
      ? setInterval(() => {
          const now = performance.now();
          for (const [m, since] of inFlight) {
            const running = now - since;
            if (running >= ackWait / 3 && running < maxWorking) m.working();
          }
        }, ackWait / 3)
      : undefined;
  keepAlive?.unref();
  // The pending gauge is reported at most every PENDING_EVERY_MS, from the latest message (the same final value as
  // reporting every message, which parsed every reply subject for a gauge scraped every few seconds).
  let pendingFrom: JsMsg | undefined;
  let pendingTimer: ReturnType<typeof setTimeout> | undefined;
  const reportPending = () => {
    pendingTimer = undefined;
    const m = pendingFrom;
    pendingFrom = undefined;
    if (m) opts.observer?.pending?.(m.info.pending);
  };

  /**
   * Copies the message to the dead-letter subject (cut to fit the server's max_payload), then acks it. When the copy
   * cannot be published the message is nak'ed instead, and its next delivery tries again.
   */
  async function deadLetter(
    m: JsMsg,
    cause: DeadLetterCause,
    reason: string,
    issues: string[],
  ): Promise<void> {
    const deliveries = m.info.deliveryCount;
    const body = deadLetterJson(
      {
        reason,
        issues,
        subject: m.subject,
        stream: opts.stream,
        stream_seq: m.seq,
        consumer: opts.durable,
        deliveries,
        received_at: new Date().toISOString(),
      },
      m.data,
      opts.nc.info?.max_payload ?? 1_048_576,
    );
    try {
      // The id covers a redelivery of a message whose ack was lost (it comes back within the ack wait, well inside
      // the duplicate window); the ack below is what keeps it from coming back at all.
      await js.publish(opts.deadLetterSubject, body, { msgID: `dlq:${opts.durable}:${m.seq}` });
    } catch (err) {
      remember(m.seq, cause, reason);
      overdue.add(m.seq);
      const delay = backoff(deliveries);
      log.error(
        { subject: m.subject, seq: m.seq, reason, delay, err: String(err) },
        'dead-letter copy not published; the message will be tried again',
      );
      opts.observer?.failed?.(m.subject, 'dead_letter_failed');
      m.nak(delay);
      return;
    }
    unpublished.delete(m.seq);
    overdue.delete(m.seq);
    opts.observer?.failed?.(m.subject, `dead_letter_${cause}`);
    log.warn({ subject: m.subject, seq: m.seq, reason, issues, deliveries }, 'message dead-lettered');
    try {
      await m.ackAck();
    } catch (err) {
      log.warn(
        { seq: m.seq, err: String(err) },
        'ack of a dead-lettered message not confirmed; if it comes back, its copy is dropped as a duplicate',
      );
    }
  }

  async function handle(m: JsMsg): Promise<void> {
    if (!keepAlive) return handleOnce(m);
    inFlight.set(m, performance.now());
    try {
      await handleOnce(m);
    } finally {
      inFlight.delete(m);
    }
  }

  async function handleOnce(m: JsMsg): Promise<void> {
    const started = opts.observer?.handled ? performance.now() : 0;
    opts.observer?.received?.(m.subject);
    if (opts.observer?.pending) {
      pendingFrom = m;
      if (!pendingTimer) {
        pendingTimer = setTimeout(reportPending, PENDING_EVERY_MS);
        pendingTimer.unref?.();
      }
    }
    let decoded: Decoded<T>;
    try {
      decoded = opts.decode(m.data, m.subject);
    } catch (err) {
      decoded = { ok: false, issues: [`(root): ${(err as Error).message}`] };
    }
    if (!decoded.ok) return deadLetter(m, 'invalid', 'invalid message', decoded.issues);
    const deliveries = m.info.deliveryCount;
    const pending = unpublished.get(m.seq);
    if (pending) return deadLetter(m, pending.cause, pending.reason, []);
    try {
      await opts.handler(decoded.value, {
        subject: m.subject,
        streamSeq: m.seq,
        deliveryCount: deliveries,
        // Headers are decoded only when a handler asks.
        get msgId() {
          return m.headers?.get('Nats-Msg-Id') || undefined;
        },
        get storedAt() {
          return m.time.getTime();
        },
        working: () => m.working(),
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (permanent(err)) return deadLetter(m, 'permanent', message, []);
      if (deliveries >= maxDeliver && !unavailable(err))
        return deadLetter(m, 'exhausted', `failed ${deliveries} deliveries; last error: ${message}`, []);
      const delay = backoff(deliveries);
      log.warn(
        { subject: m.subject, seq: m.seq, attempt: deliveries, delay, err: String(err) },
        'handler failed; retrying',
      );
      opts.observer?.failed?.(m.subject, 'retry');
      m.nak(delay);
      return;
    }
    m.ack();
    opts.observer?.handled?.(m.subject, performance.now() - started);
  }

  const done = (async () => {
    let attempt = 0;
    while (!stopped) {
      try {
        const consumer = await js.consumers.get(opts.stream, opts.durable);
        if (stopped) break;
        messages = await consumer.consume({ max_messages: opts.batch ?? 256 });
        // stop() may have run while this subscription was being set up: it closed the previous one (or none),
        // so this one must be closed here, or the loop below would nak messages forever and stop() never return.
        if (stopped) {
          await messages.close().catch(() => undefined);
          break;
        }
        attempt = 0;
        for await (const m of messages) {
          if (stopped) {
            m.nak();
            continue;
          }
          if (concurrency === 1) {
            await handle(m);
            continue;
          }
          active++;
          void handle(m).finally(release);
          if (active >= concurrency) await new Promise<void>((r) => (slotFree = r));
        }
        await allSettled();
      } catch (err) {
        if (stopped) break;
        attempt++;
        const wait = Math.min(10_000, 200 * 2 ** Math.min(attempt, 6));
        log.warn(
          { err: String(err), wait, stream: opts.stream, durable: opts.durable },
          'consumer interrupted; resuming',
        );
        await new Promise<void>((r) => {
          const t = setTimeout(r, wait);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
        wake = undefined;
      }
    }
    await allSettled();
  })();

  return {
    done,
    overdue,
    resolvedUpTo(streamSeq) {
      for (const seq of overdue) {
        if (seq > streamSeq) continue;
        overdue.delete(seq);
        unpublished.delete(seq);
      }
    },
    async stop() {
      stopped = true;
      wake?.();
      await messages?.close().catch(() => undefined);
      await done;
      if (keepAlive) clearInterval(keepAlive);
      if (pendingTimer) {
        clearTimeout(pendingTimer);
        reportPending();
      }
    },
  };
}
