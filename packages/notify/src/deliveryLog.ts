import type { Pool } from '@tocsin/store';

/**
 * Runs items through `run` in batches, one batch in flight at a time: while a batch is with PostgreSQL, the items
 * that arrive wait and go together in the next (group commit). A lone item goes at once, so this adds no latency
 * when idle and turns N concurrent round trips into one under load. Items with the same `key` never share a batch
 * (one statement must not touch a row twice); `run` returns one result per item, in order.
 */
interface Waiting<I, O> {
  item: I;
  resolve(o: O): void;
  reject(e: unknown): void;
}

export class Coalescer<I, O> {
  readonly #queue: Waiting<I, O>[] = [];
  #running = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly key: (item: I) => string,
    private readonly max = 256,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length) {
        const batch: Waiting<I, O>[] = [];
        const keys = new Set<string>();
        const rest: Waiting<I, O>[] = [];
        for (const w of this.#queue.splice(0)) {
          const k = this.key(w.item);
          if (batch.length < this.max && !keys.has(k)) {
            keys.add(k);
            batch.push(w);
          } else rest.push(w);
        }
        this.#queue.unshift(...rest);
        try {
          const out = await this.run(batch.map((w) => w.item));
          for (let i = 0; i < batch.length; i++) batch[i]!.resolve(out[i]!);
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}

export interface ClaimRequest {
  key: string;
  channel: string;
  attemptId: string;
  transition: string;
  episodes: string[];
}

/** Claimed (new, or 'attempting' with an expired lease), with the messages already posted about its episodes. */
export interface Claimed {
  claimed: true;
  attempts: number;
  createdAt: Date;
  priorRefs: Map<string, string>;
}

/** Not claimed: the row as it was (sent/failed/attempting), or null when another copy is inserting it right now. */
export interface NotClaimed {
  claimed: false;
  current: { state: string; ref: string | null } | null;
}

export interface SentMark {
  key: string;
  channel: string;
  ref: string | null;
  /** Episodes whose message this is (recorded when ref is set: later transitions edit or reply to it). */
  episodes: string[];
}

const CLAIM_SQL = `WITH input AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY
      AS x(notification_key, channel, attempt_id, transition, episodes, ord)),
  claimed AS (
    INSERT INTO notify_deliveries (notifier, notification_key, channel, state, attempt_id, transition, lease_until)
    SELECT $1, notification_key, channel, 'attempting', attempt_id, transition,
      now() + $7::bigint * interval '1 millisecond'
    FROM input ORDER BY notification_key, channel
    ON CONFLICT (notifier, notification_key, channel)
    DO UPDATE SET attempts = notify_deliveries.attempts + 1, updated_at = now(), lease_until = EXCLUDED.lease_until
      WHERE notify_deliveries.state = 'attempting' AND notify_deliveries.lease_until <= now()
    RETURNING notification_key, channel, attempts, created_at)
  SELECT c.attempts, c.created_at, d.state AS current_state, d.ref AS current_ref,
    CASE WHEN c.attempts IS NOT NULL THEN (
      SELECT coalesce(json_agg(json_build_array(m.episode_id, m.ref)), '[]'::json) FROM notify_messages m
      WHERE m.notifier = $1 AND m.channel = i.channel
        AND m.episode_id IN (SELECT jsonb_array_elements_text(i.episodes::jsonb))) END AS prior
  FROM input i
  LEFT JOIN claimed c ON c.notification_key = i.notification_key AND c.channel = i.channel
  LEFT JOIN notify_deliveries d
    ON d.notifier = $1 AND d.notification_key = i.notification_key AND d.channel = i.channel
  ORDER BY i.ord`;

const SENT_SQL = `WITH input AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS x(notification_key, channel, ref, episodes)),
  marked AS (
    UPDATE notify_deliveries d SET state = 'sent', ref = i.ref, updated_at = now() FROM input i
    WHERE d.notifier = $1 AND d.notification_key = i.notification_key AND d.channel = i.channel)
  INSERT INTO notify_messages (notifier, episode_id, channel, ref)
  SELECT $1, e.episode_id, i.channel, i.ref FROM input i,
    LATERAL jsonb_array_elements_text(i.episodes::jsonb) AS e(episode_id)
  WHERE i.ref IS NOT NULL
  ON CONFLICT DO NOTHING`;

/**
 * The delivery log of one notifier, written in batches: concurrent deliveries claim their rows in one statement
 * (INSERT … SELECT FROM unnest(…)) and mark them sent in one statement, instead of 3–4 round trips each. The
 * guarantees are those of the per-row statements: a row is claimed before the provider is called, and marked sent
 * before the message is acked.
 */
export class DeliveryLog {
  readonly #claims: Coalescer<ClaimRequest, Claimed | NotClaimed>;
  readonly #sent: Coalescer<SentMark, undefined>;

  constructor(
    readonly pool: Pool,
    readonly notifier: string,
    readonly leaseMs = 30_000,
    maxBatch = 256,
  ) {
    const id = (r: { key: string; channel: string }) => `${r.key}\u0000${r.channel}`;
    this.#claims = new Coalescer<ClaimRequest, Claimed | NotClaimed>(
      (items) => this.#claim(items),
      id,
      maxBatch,
    );
    this.#sent = new Coalescer<SentMark, undefined>((items) => this.#markSent(items), id, maxBatch);
  }

  claim(req: ClaimRequest): Promise<Claimed | NotClaimed> {
    return this.#claims.submit(req);
  }

  async markSent(mark: SentMark): Promise<void> {
    await this.#sent.submit(mark);
  }

  async #claim(items: ClaimRequest[]): Promise<(Claimed | NotClaimed)[]> {
    const r = await this.pool.query<{
      attempts: number | null;
      created_at: Date | null;
      current_state: string | null;
      current_ref: string | null;
      prior: [string, string][] | null;
    }>({
      // Not a named prepared statement: the embedded PostgreSQL of `tocsin up` serves every connection from one
      // session, where a second connection preparing the same name fails ("already exists").
      text: CLAIM_SQL,
      values: [
        this.notifier,
        items.map((i) => i.key),
        items.map((i) => i.channel),
        items.map((i) => i.attemptId),
        items.map((i) => i.transition),
        items.map((i) => JSON.stringify(i.episodes)),
        this.leaseMs,
      ],
    });
    return r.rows.map((row) =>
      row.attempts !== null
        ? {
            claimed: true,
            attempts: row.attempts,
            createdAt: row.created_at!,
            priorRefs: new Map(row.prior ?? []),
          }
        : {
            claimed: false,
            current: row.current_state ? { state: row.current_state, ref: row.current_ref } : null,
          },
    );
  }

  async #markSent(items: SentMark[]): Promise<undefined[]> {
    await this.pool.query({
      text: SENT_SQL,
      values: [
        this.notifier,
        items.map((i) => i.key),
        items.map((i) => i.channel),
        items.map((i) => i.ref),
        items.map((i) => JSON.stringify(i.ref ? i.episodes : [])),
      ],
    });
    return items.map(() => undefined);
  }
}
