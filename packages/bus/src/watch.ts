import type { JetStreamManager } from '@nats-io/jetstream';
import type { ConsumeLoop } from './consumer.ts';
import { type Log, silentLog } from './log.ts';

/** What a consumer's watch last saw. */
export interface ConsumerHealth {
  /** Messages delivered and not yet acked (JetStream's num_ack_pending). */
  ackPending: number;
  /**
   * How long the oldest unacked message has been the oldest: the time the consumer's ack floor has not moved while
   * messages were pending, as seen by this process (a restart starts counting again). 0 when nothing is pending.
   */
  oldestPendingAgeMs: number;
  /** Messages whose dead-letter copy could not be published yet. */
  overdue: number;
  stuck: boolean;
  /** Why it is stuck, for /readyz and logs. */
  reason: string | null;
}

/**
 * Follows the ack floor from successive observations. Pure: the caller passes the time (so tests need not wait).
 */
export class AckFloorAge {
  #floor = -1;
  #since = 0;

  /** Returns how long the floor has stood still with messages pending. */
  observe(floorSeq: number, ackPending: number, now: number): number {
    if (ackPending === 0) {
      this.#floor = -1;
      return 0;
    }
    if (floorSeq !== this.#floor) {
      this.#floor = floorSeq;
      this.#since = now;
    }
    return now - this.#since;
  }
}

export function judge(
  age: number,
  ackPending: number,
  overdue: ReadonlySet<number>,
  stuckAfterMs: number,
  floorSeq: number,
): ConsumerHealth {
  const reasons: string[] = [];
  if (age >= stuckAfterMs)
    reasons.push(
      `oldest unacked message (after stream seq ${floorSeq}) pending for ${Math.round(age / 1000)} s, more than ${Math.round(stuckAfterMs / 1000)} s`,
    );
  if (overdue.size)
    reasons.push(
      `${overdue.size} message(s) could not be dead-lettered (stream seq ${[...overdue].slice(0, 5).join(', ')})`,
    );
  return {
    ackPending,
    oldestPendingAgeMs: age,
    overdue: overdue.size,
    stuck: reasons.length > 0,
    reason: reasons.length ? reasons.join('; ') : null,
  };
}

export interface ConsumerWatchOptions {
  jsm: JetStreamManager;
  stream: string;
  durable: string;
  loop: Pick<ConsumeLoop, 'overdue' | 'resolvedUpTo'>;
  /** A consumer whose ack floor has not moved for this long while messages are pending is stuck. */
  stuckAfterMs: number;
  /** Poll interval; default a fifth of stuckAfterMs, at most 5 s. */
  intervalMs?: number;
  /** Monotonic milliseconds (the ack floor is JetStream's, so this is real time, not a service's injected clock). */
  now?: () => number;
  onCheck?(h: ConsumerHealth): void;
  log?: Log;
}

export interface ConsumerWatch {
  /** The latest result (not stuck before the first check). */
  readonly health: ConsumerHealth;
  /** Checks now. */
  check(): Promise<ConsumerHealth>;
  stop(): void;
}

/**
 * Watches a durable consumer for a stall: its oldest unacked message pending longer than `stuckAfterMs` (the ack
 * floor stands still), or a message that could not be dead-lettered.
 */
export function watchConsumer(opts: ConsumerWatchOptions): ConsumerWatch {
  const log = opts.log ?? silentLog;
  const now = opts.now ?? (() => performance.now());
  const floorAge = new AckFloorAge();
  let health: ConsumerHealth = {
    ackPending: 0,
    oldestPendingAgeMs: 0,
    overdue: 0,
    stuck: false,
    reason: null,
  };
  let wasStuck = false;
  async function check(): Promise<ConsumerHealth> {
    const info = await opts.jsm.consumers.info(opts.stream, opts.durable);
    const floor = info.ack_floor.stream_seq;
    opts.loop.resolvedUpTo(floor);
    const age = floorAge.observe(floor, info.num_ack_pending, now());
    health = judge(age, info.num_ack_pending, opts.loop.overdue, opts.stuckAfterMs, floor);
    if (health.stuck !== wasStuck) {
      if (health.stuck) log.error({ consumer: opts.durable, reason: health.reason }, 'consumer stuck');
      else log.info({ consumer: opts.durable }, 'consumer no longer stuck');
      wasStuck = health.stuck;
    }
    opts.onCheck?.(health);
    return health;
  }
  const every = opts.intervalMs ?? Math.max(100, Math.min(5_000, opts.stuckAfterMs / 5));
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    check()
      .catch((err) => log.debug({ err: String(err), consumer: opts.durable }, 'consumer check failed'))
      .finally(() => {
        running = false;
      });
  }, every);
  timer.unref();
  return {
    get health() {
      return health;
    },
    check,
    stop: () => clearInterval(timer),
  };
}
