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
