import {
  createInbox,
  headers,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

/**
 * A JetStream publish that failed; `unavailable` when NATS or the stream did not answer (retry later). `name` is the
 * NATS client's for the same failure (TimeoutError, NoResponders, JetStreamError), so `isUnavailable` reads it alike.
 */
export class StreamPublishError extends Error {
  readonly code = 'stream_publish_failed';
  constructor(
    message: string,
    override readonly name: string,
    readonly unavailable: boolean,
    /** JetStream's API error code, when the server answered with one. */
    readonly apiCode?: number,
  ) {
    super(message);
  }
}

export function isStreamPublishError(err: unknown): err is StreamPublishError {
  return err instanceof StreamPublishError;
}

interface Waiting {
  resolve(ack: { seq: number; duplicate: boolean }): void;
  reject(err: Error): void;
  deadline: number;
  subject: string;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/** What a JetStream publish ack says (`error` when the stream refused the message). */
interface PubAck {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; description?: string };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const bytes = (s: string) => new TextEncoder().encode(s);
const OPEN = bytes('{');
const STREAM = bytes('"stream"');
const COLON = bytes(':');
const COMMA = bytes(',');
const SEQ = bytes('"seq"');
const DUPLICATE = bytes('"duplicate"');
const TRUE = bytes('true');
const CLOSE = bytes('}');

/** Past JSON whitespace from `i`. */
function skipSpace(b: Uint8Array, i: number): number {
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  return i;
}

/** After `part` (whitespace before it skipped), or -1 when it is not there. */
function token(b: Uint8Array, i: number, part: Uint8Array): number {
  if (i < 0) return -1;
  i = skipSpace(b, i);
  if (i + part.length > b.length) return -1;
  for (let k = 0; k < part.length; k++) if (b[i + k] !== part[k]) return -1;
  return i + part.length;
}

/**
 * The usual ack, `{"stream":"S", "seq":N}` or `{"stream":"S", "seq":N,"duplicate": true}` (the server's spacing
 * varies), read off the bytes; null for anything else.
 */
function usualAck(b: Uint8Array): PubAck | null {
  let i = token(b, token(b, token(b, 0, OPEN), STREAM), COLON);
  if (i < 0) return null;
  i = skipSpace(b, i);
  if (b[i] !== QUOTE) return null;
  const nameStart = ++i;
  while (i < b.length && b[i] !== QUOTE && b[i] !== BACKSLASH) i++;
  if (i === nameStart || b[i] !== QUOTE) return null;
  const nameEnd = i;
  i = token(b, token(b, token(b, i + 1, COMMA), SEQ), COLON);
  if (i < 0) return null;
  i = skipSpace(b, i);
  const digits = i;
  let seq = 0;
  for (; i < b.length && b[i]! >= 0x30 && b[i]! <= 0x39; i++) seq = seq * 10 + b[i]! - 0x30;
  // JSON's integers (no leading zero), small enough to be exact.
  if (i === digits || i - digits > 15 || (b[digits] === 0x30 && i > digits + 1)) return null;
  let duplicate = false;
  const more = token(b, i, COMMA);
  if (more >= 0) {
    i = token(b, token(b, token(b, more, DUPLICATE), COLON), TRUE);
    duplicate = true;
  }
  i = token(b, i, CLOSE);
  if (i < 0 || skipSpace(b, i) !== b.length) return null;
  return { stream: asciiOrText(b, nameStart, nameEnd), seq, duplicate };
}

/**
 * A publish ack: the usual one read off its bytes (a text decode and a JSON.parse per publish were a visible share
 * of the alerter's CPU in a burst), anything else (an error, a domain, another layout) by JSON.parse; null when it
 * is not a JSON object.
 */
export function parseAck(b: Uint8Array): PubAck | null {
  const usual = usualAck(b);
  if (usual) return usual;
  try {
    const v: unknown = JSON.parse(TEXT.decode(b));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as PubAck) : null;
  } catch {
    return null;
  }
}
const TEXT = new TextDecoder();

/** A short string of the bytes: ASCII directly, anything else through the UTF-8 decoder. */
function asciiOrText(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) {
    if (b[i]! >= 0x80) return TEXT.decode(b.subarray(from, to));
    s += String.fromCharCode(b[i]!);
  }
  return s;
}

/**
 * The token at the end of a reply subject (`<prefix><decimal>`), read off the subject's bytes when the client's
 * message has them (its `subject` getter decodes the whole subject, for every ack); -1 when it is not one of ours.
 */
function tokenOf(m: Msg, from: number): number {
  const raw = (m as unknown as { _msg?: { subject?: unknown } })._msg?.subject;
  if (raw instanceof Uint8Array) return decimalAt(raw, from);
  return decimalAt(new TextEncoder().encode(m.subject), from);
}

function decimalAt(b: Uint8Array, from: number): number {
  if (from >= b.length || b.length - from > 15) return -1;
  let n = 0;
  for (let i = from; i < b.length; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * JetStream publishes with a `Nats-Msg-Id`, acknowledged on one inbox subscription of the connection. The client's
 * `js.publish` is a request per message, and @nats-io/nats-core 3.x builds an Error for every request it settles
 * (RequestOne.cancel rejects its already-resolved promise with `new RequestError("cancelled")`), plus a timer each:
 * at tens of thousands of publishes a second, that was a visible share of the alerter's CPU and garbage. Here a
 * publish costs a header, a map entry and the ack's few bytes; one timer sweeps the deadlines.
 *
 * Order: `publish` hands the message to the connection before it returns, so the stream stores the publishes of one
 * caller in call order (the outbox depends on it).
 */
export class StreamPublisher {
  /** By token, in the order published: the deadlines ascend (one timeout, a monotonic clock). */
  readonly #pending = new Map<number, Waiting>();
  readonly #prefix: string;
  #next = 0;
  #sub: Subscription | null = null;
  #sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    this.#prefix = `${createInbox()}.`;
  }

  publish(subject: string, data: string, msgId: string): Promise<{ seq: number; duplicate: boolean }> {
    this.#sub ??= this.nc.subscribe(`${this.#prefix}*`, { callback: (_err, m) => this.#reply(m) });
    const token = this.#next++;
    const h = headers();
    h.set('Nats-Msg-Id', msgId);
    return new Promise((resolve, reject) => {
      this.#pending.set(token, { resolve, reject, deadline: performance.now() + this.timeoutMs, subject });
      try {
        this.nc.publish(subject, data, { reply: this.#prefix + token, headers: h });
      } catch (err) {
        this.#pending.delete(token);
        reject(err as Error);
        return;
      }
      this.#sweeper ??= setInterval(() => this.#sweep(), Math.min(1000, this.timeoutMs)).unref();
    });
  }

  #reply(m: Msg): void {
    const token = tokenOf(m, this.#prefix.length);
    const w = this.#pending.get(token);
    if (!w) return;
    this.#pending.delete(token);
    const data = m.data;
    if (data.length === 0 && m.headers?.code === 503) {
      w.reject(
        new StreamPublishError(
          `no stream answers for ${w.subject} (no responders)`,
          'NoResponders',
          true,
          503,
        ),
      );
      return;
    }
    const ack = parseAck(data);
    if (!ack) w.reject(new StreamPublishError(`invalid ack for ${w.subject}`, 'JetStreamError', false));
    else if (ack.error)
      w.reject(
        new StreamPublishError(
          `publish to ${w.subject} refused: ${ack.error.description ?? 'unknown error'}`,
          'JetStreamApiError',
          ack.error.code === 503,
          ack.error.code,
        ),
      );
    else if (!ack.stream || typeof ack.seq !== 'number')
      w.reject(new StreamPublishError(`invalid ack for ${w.subject}`, 'JetStreamError', false));
    else w.resolve({ seq: ack.seq, duplicate: ack.duplicate === true });
  }

  #sweep(): void {
    const now = performance.now();
    // In publish order, so in deadline order: the first one not due ends the sweep (a sweep over every publish in
    // flight, each second, cost more than the publishes' acks in a burst).
    for (const [token, w] of this.#pending) {
      if (w.deadline > now) break;
      this.#pending.delete(token);
      w.reject(
        new StreamPublishError(`no ack for ${w.subject} within ${this.timeoutMs} ms`, 'TimeoutError', true),
      );
    }
    if (!this.#pending.size && this.#sweeper) {
      clearInterval(this.#sweeper);
      this.#sweeper = null;
    }
  }
}
