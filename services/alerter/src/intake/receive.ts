import { PermanentError } from '@tocsin/bus';
import type { EventEnvelope } from '@tocsin/events';

/** An event and the time it counts as a fact at: its observed_at, never later than when it was received. */
export interface Received {
  event: EventEnvelope;
  /** ms since the epoch: min(observed_at, received). */
  factAt: number;
}

/** Why an event stamped too far in the future is refused (a dead letter's reason, a log line). */
export class FutureEventError extends PermanentError {
  override readonly name = 'FutureEventError';
  override readonly code = 'future_event';
}

export function isFutureEventError(err: unknown): err is FutureEventError {
  return err instanceof FutureEventError;
}

/**
 * Bounds an event's time by its receive time: an event stamped more than `maxSkewMs` after it was received is
 * refused (a wrong clock, or a forged date, must not hold an alert's state past the facts that arrive after it);
 * one within the skew counts as observed when it was received, so a later fact always comes after it.
 *
 * `receivedAt` is when the stream stored the event (the same on every delivery and every replica; for a
 * heartbeat, which is not stored, when it arrived), or the alerter's clock if that is earlier.
 */
export function admit(event: EventEnvelope, receivedAt: number, maxSkewMs: number): Received {
  const observed = Date.parse(event.observed_at);
  if (Number.isNaN(observed)) return { event, factAt: receivedAt };
  if (observed - receivedAt > maxSkewMs)
    throw new FutureEventError(
      `observed_at ${event.observed_at} is ${Math.round((observed - receivedAt) / 1000)} s after the event was received (${new Date(receivedAt).toISOString()}); at most ${maxSkewMs / 1000} s is allowed (alerter.max_future_skew)`,
    );
  return { event, factAt: Math.min(observed, receivedAt) };
}
