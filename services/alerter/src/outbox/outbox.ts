import type { Publisher } from '@tocsin/bus';
import type { Notification } from '@tocsin/events';
import { type Pool, type PoolClient, sqlIds } from '@tocsin/store';

/**
 * The notification log. A notification is committed here with the transitions that caused it, then published
 * with its key as Nats-Msg-Id, then deleted (rows of older versions, marked `published_at`, are pruned after a day).
 * The replica that committed it holds a lease while it publishes, and renews it until the notification is deleted
 * (OutboxLeases); if it dies, any replica publishes it once the lease is over, and
 * JetStream drops the copy if the first publish had landed. A live replica's notifications are never re-taken, however
 * long a batch takes to publish under load.
 */
export interface OutboxRow {
  seq: number;
  key: string;
  payload: Notification;
  /** The payload's JSON, when it was serialized for the table already (outboxPayloads): published as it is. */
  json?: string;
}

/** A notification on its way into the outbox; `json` is set once it is serialized (outboxPayloads). */
export interface OutboxItem {
  key: string;
  payload: Notification;
  json?: string;
}

/**
 * Each item's payload JSON, serialized once and kept on its item as the query is written (JsonLiterals.strings: no
 * string of the whole list): the same text is published (OutboxRow.json), instead of a second JSON.stringify of
 * every notification.
 */
export function outboxPayloads(list: OutboxItem[]): string[] {
  return list.map((item) => {
    item.json ??= JSON.stringify(item.payload);
    return item.json;
  });
}

/** The outbox rows a write returned (seq, key), with their payloads, in publishing order. */
export function outboxRows(rows: readonly Record<string, unknown>[], list: OutboxItem[]): OutboxRow[] {
  const byKey = new Map(list.map((l) => [l.key, l]));
  return rows
    .map((row) => {
      const item = byKey.get(row.key as string)!;
      const out: OutboxRow = { seq: Number(row.seq), key: item.key, payload: item.payload };
      if (item.json !== undefined) out.json = item.json;
      return out;
    })
    .sort((a, b) => a.seq - b.seq);
}

/**
 * Commits one notification made outside the flush (a maintenance summary, a digest) in the caller's transaction,
 * leased to this replica for `leaseMs`; nothing when its key is in the outbox already.
 */
export async function enqueueOne(c: PoolClient, n: Notification, leaseMs: number): Promise<OutboxRow[]> {
  const q = await c.query(
    `INSERT INTO alerter_outbox (key, payload, lease_until)
     VALUES ($1, $2, clock_timestamp() + ($3::bigint * interval '1 millisecond'))
     ON CONFLICT (key) DO NOTHING RETURNING seq, key`,
    [n.key, JSON.stringify(n), leaseMs],
  );
  return outboxRows(q.rows, [{ key: n.key, payload: n }]);
}

export interface PublishLog {
  warn(obj: object, msg?: string): void;
}

/** The lease, in SQL: from the statement's own clock (`now()` is when the transaction began, which may be long ago). */
const LEASE_END = `clock_timestamp() + ($1::bigint * interval '1 millisecond')`;

/**
 * The leases of the notifications this replica is publishing. While any is held, they are all renewed (one statement)
 * every third of the lease, so another replica's relay, or this one's, never takes a notification that is still on
 * its way; once this replica dies, the renewals stop and the lease runs out.
 */
export class OutboxLeases {
  readonly #held = new Map<number, number>();
  #timer: NodeJS.Timeout | null = null;
  #renewing = false;

  constructor(
    private readonly pool: Pool,
    private readonly leaseMs: number,
    private readonly log: PublishLog,
  ) {}

  hold(seqs: readonly number[]): void {
    for (const s of seqs) this.#held.set(s, (this.#held.get(s) ?? 0) + 1);
    if (this.#timer || !this.#held.size) return;
    this.#timer = setInterval(() => void this.#renew(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.#timer.unref();
  }

  release(seqs: readonly number[]): void {
    for (const s of seqs) {
      const n = (this.#held.get(s) ?? 0) - 1;
      if (n > 0) this.#held.set(s, n);
      else this.#held.delete(s);
    }
    if (this.#held.size || !this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = null;
  }

  async #renew(): Promise<void> {
    if (this.#renewing || !this.#held.size) return;
    this.#renewing = true;
    try {
      await this.pool.query(
        `UPDATE alerter_outbox SET lease_until = ${LEASE_END} WHERE seq = ANY($2) AND published_at IS NULL`,
        [this.leaseMs, [...this.#held.keys()]],
      );
    } catch (err) {
      this.log.warn(
        { err: String(err) },
        'could not renew the lease of notifications being published; they may be re-sent (deduplicated)',
      );
    } finally {
      this.#renewing = false;
    }
  }
}

/**
 * Takes over the removal of published rows (OutboxMarks): the rows' leases stay held until it has deleted them.
 * Without one, they are deleted at once (one statement of their own).
 */
type MarkPublished = (seqs: number[]) => void;

/**
 * Publishes and marks what went out, holding the rows' leases until then. The publishes are pipelined on one
 * connection, so the stream stores them in order; one that fails stays in the outbox for the relay. `built`: the
 * payloads are the ones this process's flush just built (not read back from the table), so they are not parsed
 * against the schema again (see Publisher.publishNotification).
 */
export async function publishOutbox(
  pool: Pool,
  publisher: Publisher,
  rows: OutboxRow[],
  log: PublishLog,
  leases: OutboxLeases,
  onPublished?: (n: Notification) => void,
  mark?: MarkPublished,
  built = false,
): Promise<number> {
  if (!rows.length) return 0;
  const seqs = rows.map((r) => r.seq);
  leases.hold(seqs);
  let handed: number[] = [];
  try {
    const done = await publishRows(publisher, rows, log, onPublished, built);
    if (mark && done.length) {
      handed = done;
      mark(done);
    } else await deletePublished(pool, done, log);
    return done.length;
  } finally {
    // What was handed over stays leased until it is deleted (OutboxMarks releases it).
    const kept = new Set(handed);
    leases.release(handed.length ? seqs.filter((s) => !kept.has(s)) : seqs);
  }
}

const BUILT = { built: true };

/** Publishes the rows; returns the seqs of those the stream acknowledged. */
async function publishRows(
  publisher: Publisher,
  rows: OutboxRow[],
  log: PublishLog,
  onPublished: ((n: Notification) => void) | undefined,
  built: boolean,
): Promise<number[]> {
  const results = await Promise.allSettled(
    rows.map((row) =>
      publisher.publishNotification(
        row.payload,
        built ? (row.json === undefined ? BUILT : { built, json: row.json }) : undefined,
      ),
    ),
  );
  const done: number[] = [];
  results.forEach((r, i) => {
    const row = rows[i]!;
    if (r.status === 'fulfilled') {
      done.push(row.seq);
      onPublished?.(row.payload);
    } else
      log.warn(
        { err: String(r.reason), key: row.key },
        'notification publish failed; the outbox relay will retry',
      );
  });
  return done;
}

/**
 * Published rows are deleted, not marked: a DELETE only stamps the tuples, where setting published_at wrote a new
 * copy of every payload and its index entries (the outbox's largest cost in a burst). Exactly once does not rest
 * on the row: the stream drops a re-publish by its Nats-Msg-Id, and the notifiers' delivery log by its key.
 */
const DELETE_PUBLISHED_SQL = 'DELETE FROM alerter_outbox WHERE seq = ANY($1)';

/** deletePublished's statement with its seqs inline (to go with other statements in one simple query). */
export function deletePublishedSql(seqs: readonly number[]): string {
  return `DELETE FROM alerter_outbox WHERE seq = ANY(${sqlIds(seqs, 'outbox seq')})`;
}

export async function deletePublished(pool: Pool, seqs: number[], log: PublishLog): Promise<void> {
  if (!seqs.length) return;
  await pool.query(DELETE_PUBLISHED_SQL, [seqs]).catch((err) => {
    log.warn(
      { err: String(err) },
      'could not remove published notifications from the outbox; they may be re-sent (deduplicated)',
    );
  });
}

/** Claims notifications whose publisher's lease ran out (it died, or NATS was down). */
export async function claimStale(pool: Pool, leaseMs: number, limit = 500): Promise<OutboxRow[]> {
  const r = await pool.query(
    `UPDATE alerter_outbox SET lease_until = ${LEASE_END}
     WHERE seq IN (
       SELECT seq FROM alerter_outbox WHERE published_at IS NULL AND lease_until < clock_timestamp()
       ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING seq, key, payload`,
    [leaseMs, limit],
  );
  return r.rows
    .map((row) => ({ seq: Number(row.seq), key: row.key as string, payload: row.payload as Notification }))
    .sort((a, b) => a.seq - b.seq);
}

/** Rows marked published by older versions (published rows are deleted now), once they are old enough. */
export async function pruneOutbox(pool: Pool, olderThanMs: number): Promise<number> {
  const r = await pool.query(
    `DELETE FROM alerter_outbox WHERE published_at IS NOT NULL
       AND published_at < now() - ($1::bigint * interval '1 millisecond')`,
    [olderThanMs],
  );
  return r.rowCount ?? 0;
}
