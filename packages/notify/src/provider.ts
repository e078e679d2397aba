import type { Notification } from '@tocsin/events';

/** Where a notification goes and what was sent there before for the same alerts (to edit or thread under). */
export interface DeliveryContext {
  notification: Notification;
  channel: string;
  /** Stable per (notification, channel): providers use it as an idempotency key (Discord nonce, webhook header). */
  attemptId: string;
  /** Provider message refs of the messages that announced these alerts' episodes in this channel. */
  priorRefs: Map<string, string>;
  /**
   * When the first attempt of this (notification, channel) began (the delivery log row's creation): nothing it
   * posted can be older, so reconcile looks only at messages since then (less the clock skew it allows).
   */
  firstAttemptAt?: Date;
}

export interface Delivered {
  /** Provider's message reference (Discord message id, Slack ts, ...), kept for edits and replies. */
  ref: string | null;
}

/** A provider failure; `retry` says whether trying again later can help (5xx, timeouts) or not (403, unknown channel). */
export class DeliveryError extends Error {
  override readonly name: string = 'DeliveryError';
  /** Why it failed, for metrics and logs, is `deliveryReason(err)` (rate_limited, timeout, forbidden, …). */
  readonly code: string = 'delivery_failed';
  constructor(
    message: string,
    readonly retry: boolean,
    readonly status: number | null = null,
  ) {
    super(message);
  }

  /**
   * A retryable provider failure (5xx, timeout, rate limit, another copy in progress) is the provider's state, not
   * the notification's: the consume loop never dead-letters a notification for it.
   */
  get unavailable(): boolean {
    return this.retry;
  }
}

export function isDeliveryError(err: unknown): err is DeliveryError {
  return err instanceof DeliveryError;
}

/** What every notifier implements: routing and a thin send. Rendering is a pure function next to it. */
export interface Provider {
  readonly name: string;
  /** Channels this notification goes to (may be empty). */
  routes(n: Notification): string[];
  deliver(ctx: DeliveryContext): Promise<Delivered>;
  /**
   * After a crash between sending and recording: was it sent? Return the message, or null to send again.
   * Providers without a way to know omit it (delivery is then at-least-once for that crash window only).
   */
  reconcile?(ctx: DeliveryContext): Promise<Delivered | null>;
  /**
   * Several notifications for one channel as one digest message, when a burst exceeds the channel's rate (see
   * `withBurstDigest`). Each item keeps its own delivery-log row; all of them get the digest's ref.
   */
  deliverDigest?(channel: string, items: DeliveryContext[]): Promise<Delivered>;
  /**
   * What kind of destination a channel is, for the `channel_kind` label of `tocsin_deliveries_total` (a few
   * values, never the channel id): e.g. `channel`, `webhook`, `console`. Default `channel`.
   */
  channelKind?(channel: string): string;
  /** Whether delivering posts a new message (counts towards the channel's rate); false for edit-only ones. */
  posts?(ctx: DeliveryContext): boolean;
}
