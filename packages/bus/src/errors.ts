/** Thrown by publish when an event does not match the contract. `issues` are `path: reason` lines. */
export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
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
  override readonly name = 'PermanentError';
}

export function isPermanent(err: unknown): boolean {
  return err instanceof PermanentError || (err as { permanent?: boolean })?.permanent === true;
}
