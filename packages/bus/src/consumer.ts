import { type ConsumerMessages, type JsMsg, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { isPermanent } from './errors.ts';
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
  failed?(subject: string, kind: 'retry' | 'dead_letter'): void;
  pending?(n: number): void;
}

export interface ConsumeLoopOptions<T> {
  nc: NatsConnection;
  stream: string;
  durable: string;
  /** Where messages that fail decoding/validation (or a PermanentError) are copied before being terminated. */
  deadLetterSubject: string;
  decode(raw: Uint8Array, subject: string): Decoded<T>;
  handler(value: T, ctx: MessageContext): Promise<void>;
  log?: Log;
  observer?: ConsumeObserver;
  /** Messages pulled per request. */
  batch?: number;
  /** Redelivery delay for the n-th failed delivery. */
  backoffMs?(deliveryCount: number): number;
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
}

export const defaultBackoff = (n: number) => Math.min(30_000, 250 * 2 ** Math.max(0, n - 1));

export interface DeadLetter {
  reason: string;
  issues: string[];
  subject: string;
  stream: string;
  stream_seq: number;
  consumer: string;
  received_at: string;
  payload: string;
}

const decoder = new TextDecoder();
const PENDING_EVERY_MS = 100;

/**
 * Runs a durable pull consumer shared by every replica: ack after the handler succeeds, nak with backoff when it
 * throws, term + dead-letter when the message can never succeed. Survives reconnects and consumer loss.
 */
export function startConsumeLoop<T>(opts: ConsumeLoopOptions<T>): ConsumeLoop {
  const log = opts.log ?? silentLog;
  const js = jetstream(opts.nc);
  const backoff = opts.backoffMs ?? defaultBackoff;
  const concurrency = Math.max(1, opts.concurrency ?? 1);
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

  async function deadLetter(m: JsMsg, reason: string, issues: string[]): Promise<void> {
    const dl: DeadLetter = {
      reason,
      issues,
      subject: m.subject,
      stream: opts.stream,
      stream_seq: m.seq,
      consumer: opts.durable,
      received_at: new Date().toISOString(),
      payload: decoder.decode(m.data),
    };
    await js.publish(opts.deadLetterSubject, JSON.stringify(dl), { msgID: `dlq:${opts.durable}:${m.seq}` });
    m.term(reason);
    opts.observer?.failed?.(m.subject, 'dead_letter');
    log.warn({ subject: m.subject, seq: m.seq, reason, issues }, 'message dead-lettered');
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
    try {
      if (!decoded.ok) {
        await deadLetter(m, 'invalid message', decoded.issues);
        return;
      }
      await opts.handler(decoded.value, {
        subject: m.subject,
        // The delivery info (stream sequence, delivery count) is parsed from the reply subject only when a handler
        // asks; most do not.
        get streamSeq() {
          return m.seq;
        },
        get deliveryCount() {
          return m.info.deliveryCount;
        },
        // Headers are decoded only when a handler asks.
        get msgId() {
          return m.headers?.get('Nats-Msg-Id') || undefined;
        },
        get storedAt() {
          return m.time.getTime();
        },
        working: () => m.working(),
      });
      m.ack();
      opts.observer?.handled?.(m.subject, performance.now() - started);
    } catch (err) {
      if (isPermanent(err)) {
        try {
          await deadLetter(m, (err as Error).message, []);
          return;
        } catch (dlErr) {
          log.error({ err: String(dlErr) }, 'dead-letter publish failed; will retry the message');
        }
      }
      const attempt = m.info.deliveryCount;
      const delay = backoff(attempt);
      log.warn(
        { subject: m.subject, seq: m.seq, attempt, delay, err: String(err) },
        'handler failed; retrying',
      );
      opts.observer?.failed?.(m.subject, 'retry');
      m.nak(delay);
    }
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
