import {
  LogLevel,
  type RetryOptions,
  type Logger as SlackLogger,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  WebClientEvent,
} from '@slack/web-api';
import { DeliveryError, isDeliveryError } from '@tocsin/notify';
import type { Logger } from '@tocsin/runtime';

export interface SlackClientOptions {
  apiUrl: string;
  timeoutMs: number;
  /** 429s the SDK waits out (Retry-After) before giving up; other failures are not retried by the SDK. */
  rateLimitRetries: number;
  log: Logger;
}

/** The SDK's logger interface on top of ours (so its rate-limit notices land in the service log). */
export function sdkLogger(log: Logger): SlackLogger {
  let level = LogLevel.WARN;
  const child = log.child({ component: 'slack-sdk' });
  const msg = (parts: unknown[]) => parts.map(String).join(' ');
  return {
    debug: (...p) => child.debug(msg(p)),
    info: (...p) => child.info(msg(p)),
    warn: (...p) => child.warn(msg(p)),
    error: (...p) => child.error(msg(p)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/**
 * A WebClient that waits out 429s itself (Retry-After, then retry at once) but hands every other failure (5xx,
 * timeouts) straight back: those are retried through the stream, where a redelivery first reconciles against
 * the channel, so a send that reached Slack before failing is not repeated.
 */
export function slackClient(token: string, o: SlackClientOptions): WebClient {
  const retryConfig: RetryOptions & { onFailedAttempt(err: Error): void } = {
    retries: o.rateLimitRetries,
    minTimeout: 0,
    maxTimeout: 0,
    // A waited-out 429 reaches here as a request error wrapping "A rate limit was exceeded": retry it at once.
    // Every other failure is handed back (see above).
    onFailedAttempt: (err) => {
      if (!isWaitedOutRateLimit(err)) throw err;
    },
  };
  const client = new WebClient(token, {
    slackApiUrl: o.apiUrl.endsWith('/') ? o.apiUrl : `${o.apiUrl}/`,
    timeout: o.timeoutMs,
    rejectRateLimitedCalls: false,
    logger: sdkLogger(o.log),
    logLevel: LogLevel.WARN,
    retryConfig,
  });
  client.on(WebClientEvent.RATE_LIMITED, (retryAfterS: number, { url }: { url: string }) => {
    o.log.warn({ retry_after_s: retryAfterS, method: url.split('/').pop() }, 'Slack rate limit; waiting');
  });
  return client;
}

function isWaitedOutRateLimit(err: unknown): boolean {
  const inner = err instanceof WebAPIRequestError ? err.original : err;
  return inner instanceof Error && /rate limit was exceeded/.test(inner.message);
}

/** Slack platform errors worth retrying later; every other `ok: false` is a problem a retry cannot fix. */
const TRANSIENT = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
  'rate_limited',
  'team_added_to_org',
]);

/** The platform error code of a failed call, if it was one. */
export function platformError(err: unknown): string | null {
  return err instanceof WebAPIPlatformError ? String(err.data.error) : null;
}

/**
 * Maps an SDK failure to retry (5xx, timeouts, network, rate limits not cleared) or permanent (channel_not_found,
 * not_in_channel, is_archived, invalid_auth, missing_scope, ...). The message names the method and channel.
 */
export function toDeliveryError(err: unknown, what: string): DeliveryError {
  if (isDeliveryError(err)) return err;
  if (err instanceof WebAPIPlatformError) {
    const code = String(err.data.error);
    const needed = (err.data as { needed?: string }).needed;
    const detail = code === 'missing_scope' && needed ? ` (needs ${needed})` : '';
    return new DeliveryError(`${what}: ${code}${detail}`, TRANSIENT.has(code));
  }
  if (err instanceof WebAPIHTTPError) {
    const retry = err.statusCode >= 500 || err.statusCode === 408;
    return new DeliveryError(`${what}: HTTP ${err.statusCode}`, retry, err.statusCode);
  }
  if (err instanceof WebAPIRateLimitedError) {
    return new DeliveryError(`${what}: rate limited (retry after ${err.retryAfter}s)`, true, 429);
  }
  if (isWaitedOutRateLimit(err)) {
    return new DeliveryError(`${what}: still rate limited after retries`, true, 429);
  }
  if (err instanceof WebAPIRequestError) {
    return new DeliveryError(`${what}: ${err.original.message}`, true);
  }
  return new DeliveryError(`${what}: ${err instanceof Error ? err.message : String(err)}`, true);
}
