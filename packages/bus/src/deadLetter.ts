/**
 * The copy of a message that a consumer gave up on, published on `<prefix>.dlq.<stream>.<consumer>`. It always fits
 * in one NATS message: an oversized payload is cut (`truncated: true`, `payload_bytes` says how long it was).
 */
export interface DeadLetter {
  /** Why: `invalid message`, the handler's permanent error, or `failed N deliveries: <last error>`. */
  reason: string;
  /** `path: reason` lines when the message failed validation. */
  issues: string[];
  subject: string;
  stream: string;
  stream_seq: number;
  consumer: string;
  /** Deliveries of the message to this consumer, the one that gave up included. */
  deliveries: number;
  received_at: string;
  /** The message as received (UTF-8 text), or its base64 when it was not valid UTF-8 (`payload_encoding`). */
  payload: string;
  payload_encoding: 'utf-8' | 'base64';
  /** Size of the original message body in bytes. */
  payload_bytes: number;
  /** The payload (or the reason and issues) were cut to fit the server's max_payload. */
  truncated: boolean;
}

export type DeadLetterCause = 'invalid' | 'permanent' | 'exhausted';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_ISSUES = 100;
const MAX_LINE = 2_000;
/** Room left for the headers (Nats-Msg-Id) and the protocol line. */
const HEADROOM = 2_048;

const bytes = (s: string) => Buffer.byteLength(s);

function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  // Never leave half of a surrogate pair at the end.
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}

/** Builds the dead-letter document, serialized, at most `maxBytes` long. */
export function deadLetterJson(
  fields: Omit<DeadLetter, 'payload' | 'payload_encoding' | 'payload_bytes' | 'truncated'>,
  raw: Uint8Array,
  maxBytes: number,
): string {
  let payload: string;
  let encoding: DeadLetter['payload_encoding'] = 'utf-8';
  try {
    payload = strictUtf8.decode(raw);
  } catch {
    payload = Buffer.from(raw).toString('base64');
    encoding = 'base64';
  }
  const reason = cut(fields.reason, MAX_LINE);
  const issues = fields.issues.slice(0, MAX_ISSUES).map((i) => cut(i, MAX_LINE));
  if (fields.issues.length > MAX_ISSUES) issues.push(`… and ${fields.issues.length - MAX_ISSUES} more`);
  const shortened =
    reason !== fields.reason ||
    issues.length !== fields.issues.length ||
    issues.some((i, n) => i !== fields.issues[n]);
  const doc = (p: string, truncated: boolean): DeadLetter => ({
    ...fields,
    reason,
    issues,
    payload: p,
    payload_encoding: encoding,
    payload_bytes: raw.length,
    truncated,
  });
  const whole = JSON.stringify(doc(payload, shortened));
  const budget = maxBytes - HEADROOM;
  if (bytes(whole) <= budget) return whole;
  // The longest prefix of the payload whose copy fits (JSON escaping can make the copy larger than the original).
  const empty = bytes(JSON.stringify(doc('', true)));
  let lo = 0;
  let hi = payload.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (empty + bytes(JSON.stringify(payload.slice(0, mid))) - 2 <= budget) lo = mid;
    else hi = mid - 1;
  }
  let prefix = payload.slice(0, lo);
  if (encoding === 'base64') prefix = prefix.slice(0, prefix.length - (prefix.length % 4));
  const last = prefix.charCodeAt(prefix.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) prefix = prefix.slice(0, -1);
  return JSON.stringify(doc(prefix, true));
}
