/**
 * Whether PostgreSQL refused the data itself, so the same statement with the same values fails every time: SQLSTATE
 * class 22 (data exception: `invalid byte sequence for encoding "UTF8": 0x00`, `unsupported Unicode escape
 * sequence`, a value out of range) and class 54 (program limit exceeded: `index row size exceeds maximum`). A
 * consumer dead-letters a message that meets one instead of retrying it. Connection failures, serialization
 * failures, deadlocks and timeouts are other classes and stay retryable.
 */
export function isPermanentDbError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code);
}

/**
 * Whether PostgreSQL is unavailable rather than refusing the data: a connection that failed or was closed (SQLSTATE
 * class 08, the pool's connect timeout, a terminated connection), the server shutting down or starting (57P01-57P03),
 * out of resources (class 53, e.g. too many connections), or contention (serialization failure, deadlock, lock not
 * available, statement timeout). A consumer never gives up on a message for these.
 */
export function isDbUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^(08|53)[0-9A-Z]{3}$/.test(code) || /^(57P0[123]|40001|40P01|55P03|57014)$/.test(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i.test(
    message,
  );
}
