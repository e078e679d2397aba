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

/**
 * JetStream publishes with a `Nats-Msg-Id`, acknowledged on one inbox subscription of the connection. The client's
 * `js.publish` is a request per message, and @nats-io/nats-core 3.x builds an Error for every request it settles
 * (RequestOne.cancel rejects its already-resolved promise with `new RequestError("cancelled")`), plus a timer each:
 * at tens of thousands of publishes a second, that was a visible share of the alerter's CPU and garbage. Here a
 * publish costs a header, a map entry and the ack's JSON; one timer sweeps the deadlines.
 *
 * Order: `publish` hands the message to the connection before it returns, so the stream stores the publishes of one
 * caller in call order (the outbox depends on it).
 */
export class StreamPublisher {
  readonly #pending = new Map<string, Waiting>();
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
    const token = (this.#next++).toString(36);
    const h = headers();
    h.set('Nats-Msg-Id', msgId);
    return new Promise((resolve, reject) => {
      this.#pending.set(token, { resolve, reject, deadline: Date.now() + this.timeoutMs, subject });
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
    const token = m.subject.slice(this.#prefix.length);
    const w = this.#pending.get(token);
    if (!w) return;
    this.#pending.delete(token);
    if (m.data.length === 0 && m.headers?.code === 503) {
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
    let ack: {
      stream?: string;
      seq?: number;
      duplicate?: boolean;
      error?: { code?: number; description?: string };
    };
    try {
      ack = JSON.parse(m.string());
    } catch {
      w.reject(new StreamPublishError(`invalid ack for ${w.subject}`, 'JetStreamError', false));
      return;
    }
    if (ack.error)
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
    const now = Date.now();
    for (const [token, w] of this.#pending)
      if (w.deadline <= now) {
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
