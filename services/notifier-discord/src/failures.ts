import { DeliveryError, isDeliveryError } from '@tocsin/notify';
import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';

/** Discord error codes worth naming in a delivery_failed event. */
const KNOWN: Record<number, string> = {
  10003: 'Unknown Channel',
  10008: 'Unknown Message',
  10015: 'Unknown Webhook',
  50001: 'Missing Access',
  50013: 'Missing Permissions',
  50035: 'Invalid Form Body',
};

export function isUnknownMessage(err: unknown): boolean {
  return err instanceof DiscordAPIError && err.code === 10008;
}

/**
 * Alertmanager's rule for a notifier error: may trying again help? 5xx, timeouts, network errors, 429 (should
 * discord.js ever give up on one) and 401 (a token being rotated) retry with backoff; other 4xx (unknown channel,
 * missing access or permission, a body Discord refuses) are permanent. The reason names the channel; it never
 * carries a URL (webhook URLs contain their token).
 */
export function deliveryErrorOf(err: unknown, channel: string): DeliveryError {
  if (isDeliveryError(err)) return err;
  if (err instanceof DiscordAPIError) {
    const code = typeof err.code === 'number' ? err.code : Number(err.code);
    const name = KNOWN[code] ?? err.message;
    const retry = err.status >= 500 || err.status === 429 || err.status === 408 || err.status === 401;
    return new DeliveryError(
      `${name} (${err.code}) in channel ${channel}: ${err.message}`,
      retry,
      err.status,
    );
  }
  if (err instanceof HTTPError) {
    return new DeliveryError(`Discord answered HTTP ${err.status} for channel ${channel}`, true, err.status);
  }
  if (err instanceof RateLimitError) {
    return new DeliveryError(`rate limited on ${err.route} for channel ${channel}`, true, 429);
  }
  const e = err as Error;
  return new DeliveryError(
    `cannot reach Discord for channel ${channel}: ${e?.name ?? 'Error'}: ${e?.message}`,
    true,
  );
}
