/** Thrown by publish when an event does not match the contract. `issues` are `path: reason` lines. */
export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  readonly code = 'event_invalid';
  constructor(
    readonly issues: string[],
    what = 'event',
  ) {
    super(`invalid ${what}: ${issues.join('; ')}`);
  }
}

/**
 * A handler throws this when retrying cannot help (the message itself is wrong): the message is terminated
 * and copied to the dead-letter subject. Any other error is retried with backoff.
 */
export class PermanentError extends Error {
  override readonly name: string = 'PermanentError';
  readonly code: string = 'permanent';
}

export function isEventValidationError(err: unknown): err is EventValidationError {
  return err instanceof EventValidationError;
}

/** A PermanentError, or any error that says `permanent: true` (another library's). */
export function isPermanent(err: unknown): boolean {
  return err instanceof PermanentError || (err as { permanent?: boolean })?.permanent === true;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const NATS_DOWN = new Set([
  'TimeoutError',
  'NoResponders',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'ConnectionError',
  'RequestError',
]);

/**
 * Whether the error says a dependency is unavailable (a network error, NATS timing out or without responders), not
 * that the message is wrong: the consume loop never dead-letters a message for such a failure, even past its
 * `maxDeliver`, so an outage does not dead-letter everything that arrives meanwhile (the consumer reports itself
 * stuck instead). Errors can also declare it with `unavailable: true`.
 */
export function isUnavailable(err: unknown): boolean {
  const e = err as { unavailable?: unknown; code?: unknown; name?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.unavailable === true) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (typeof e.name === 'string' && NATS_DOWN.has(e.name)) return true;
  return e.cause !== undefined && e.cause !== err && isUnavailable(e.cause);
}
