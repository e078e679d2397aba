import type { Publisher } from '@tocsin/bus';
import { type EventEnvelope, type Notification, registry } from '@tocsin/events';
import { ManualClock } from '@tocsin/runtime';
import type { Pool } from '@tocsin/store';
import { Alerter, type AlerterLog } from '../alerter.ts';
import type { AlerterConfig } from '../config.ts';
import { admit, type Received } from '../intake/receive.ts';
import type { RuleSet } from '../rules/loadRules.ts';

/** One recorded event and when it was received (stored in the stream), which is when the alerter judged it. */
export interface Recorded {
  event: EventEnvelope;
  receivedAt: number;
}

/** Why a line of a replay file cannot be used (its number and the problem). */
export class ReplayInputError extends Error {
  override readonly name = 'ReplayInputError';
  readonly code = 'replay_input_invalid';
}

export function isReplayInputError(err: unknown): err is ReplayInputError {
  return err instanceof ReplayInputError;
}

/**
 * A line of a replay file: a line of `tocsin events export` (`{seq, stored_at, subject, event}`: judged at the time
 * the stream stored it, as the live alerter did) or a bare event envelope (judged at its observed_at).
 */
export function parseRecorded(line: string, lineNo: number, file = 'input'): Recorded {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new ReplayInputError(`${file}:${lineNo}: not JSON (${(err as Error).message})`);
  }
  const o = value as { stored_at?: unknown; event?: unknown };
  const exported = typeof o?.stored_at === 'string' && typeof o.event === 'object';
  const r = registry.validate(exported ? o.event : value);
  if (!r.ok) throw new ReplayInputError(`${file}:${lineNo}: ${r.issues.join('; ')}`);
  const receivedAt = exported ? Date.parse(o.stored_at as string) : Date.parse(r.event.observed_at);
  if (Number.isNaN(receivedAt)) throw new ReplayInputError(`${file}:${lineNo}: stored_at is not a time`);
  return { event: r.event, receivedAt };
}

export interface ReplayOptions {
  pool: Pool;
  rules: RuleSet;
  config: AlerterConfig;
  /** In the order they were stored. */
  events: readonly Recorded[];
  /** The timers run on this grid of the clock (the live alerter's tick_interval; 1 s when that is 0). */
  tickMs?: number;
  /** How long the timers keep running after the last event (group waits, `for`, absence). */
  drainMs?: number;
  log: AlerterLog;
  onNotification(n: Notification): void;
  onProgress?(done: number, total: number): void;
}

export interface ReplayResult {
  events: number;
  notifications: number;
  /** Events refused at intake as the live alerter would have (dead-lettered there): line and reason. */
  refused: string[];
  from: string | null;
  to: string | null;
}

/** Where replayed notifications go: to the caller, in the order the alerter publishes them (commit order). */
function collectingPublisher(onNotification: (n: Notification) => void): Publisher {
  let seq = 0;
  const refuse = async (): Promise<never> => {
    throw new Error('a replay publishes notifications only');
  };
  return {
    publish: refuse,
    publishEnvelope: refuse,
    async publishNotification(n) {
      onNotification(n);
      return { seq: ++seq, duplicate: false };
    },
    get js(): never {
      throw new Error('a replay has no JetStream');
    },
  };
}

/**
 * Runs recorded events through the alerter's own pipeline (the same decision, commit and outbox code as the
 * service, on a fresh schema), with a ManualClock set to each event's time (its observed_at, never later than
 * when the stream stored it) and the timers run on the tick grid in between: backtesting. Events of the same
 * instant are judged as one batch.
 */
export async function replay(o: ReplayOptions): Promise<ReplayResult> {
  const tick = o.tickMs ?? (o.config.tick_interval || 1000);
  const drain = o.drainMs ?? 5 * 60_000;
  const first = o.events.length
    ? Math.min(o.events[0]!.receivedAt, Date.parse(o.events[0]!.event.observed_at) || Infinity)
    : Date.now();
  const clock = new ManualClock(first);
  let notifications = 0;
  const alerter = new Alerter({
    pool: o.pool,
    publisher: collectingPublisher((n) => {
      notifications++;
      o.onNotification(n);
    }),
    clock,
    log: o.log,
    rules: o.rules,
    config: o.config,
  });
  await alerter.init();
  const refused: string[] = [];
  // The next tick of the grid after the clock's start.
  let nextTick = Math.floor(first / tick) * tick + tick;
  // Runs the ticks of the grid up to t that have something to do. A tick that finds nothing due does nothing, and
  // what is due stays due until a tick handles it: so when nothing is due at the last tick of a stretch, none of
  // its ticks would act, and otherwise the first one that would is found by bisection, run, and the search goes on.
  const due = (at: number) => {
    clock.set(at);
    return alerter.pipeline.timersDueAt(at);
  };
  const runTicksUntil = async (t: number) => {
    while (nextTick <= t) {
      const steps = Math.floor((t - nextTick) / tick);
      if (!(await due(nextTick + steps * tick))) {
        nextTick += (steps + 1) * tick;
        break;
      }
      let lo = 0;
      let hi = steps;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (await due(nextTick + mid * tick)) hi = mid;
        else lo = mid + 1;
      }
      nextTick += lo * tick;
      clock.set(nextTick);
      await alerter.tick();
      await alerter.published();
      nextTick += tick;
    }
  };
  const total = o.events.length;
  // Each event as the live alerter admitted it: it counts at its observed_at, never later than when the stream
  // stored it (and one stamped too far after that is refused, as it was dead-lettered live).
  const admitted: { i: number; r: Received }[] = [];
  for (const [i, rec] of o.events.entries()) {
    try {
      admitted.push({ i, r: admit(rec.event, rec.receivedAt, o.config.max_future_skew) });
    } catch (err) {
      refused.push(`event ${i + 1} (${rec.event.id}): ${(err as Error).message}`);
    }
  }
  for (let k = 0; k < admitted.length; ) {
    // The clock never goes back: an event observed before the one stored ahead of it is judged at that one's time.
    const at = Math.max(admitted[k]!.r.factAt, clock.now());
    const batch: Received[] = [];
    for (; k < admitted.length && Math.max(admitted[k]!.r.factAt, at) === at; k++) batch.push(admitted[k]!.r);
    await runTicksUntil(at);
    clock.set(at);
    await alerter.processEvents(batch);
    await alerter.published();
    o.onProgress?.(admitted[k - 1]!.i + 1, total);
  }
  const last = clock.now();
  await runTicksUntil(last + drain);
  await alerter.settled();
  return {
    events: total,
    notifications,
    refused,
    from: o.events.length ? new Date(first).toISOString() : null,
    to: new Date(last + drain).toISOString(),
  };
}
