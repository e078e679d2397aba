import { isPermanentDbError, type Pool } from '@tocsin/store';
import { Coalescer } from './coalescer.ts';

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

type Op = { claim: ClaimRequest; sent?: undefined } | { sent: SentMark; claim?: undefined };

/**
 * One statement per batch, whatever it holds: the sent marks (with the messages they remember) and the claims
 * (with the messages already posted about their episodes), in `notify_log_batch_keyed` (migration
 * 1797200000030_delivery_log_batch_keyed.sql). Every parameter is a typed array, the episodes flattened (`$6`–`$8`:
 * the claim each belongs to, and its channel; `$12`–`$14`: the messages remembered). The result is unordered, each
 * row saying whose it is: a claimed row by its key and channel, a row that was there before and the messages already
 * posted by the claim's ordinal (joining them in PostgreSQL, without hash joins, was O(n²) in the batch). A batch
 * never holds two operations on one row (the Coalescer's key), so its data-modifying parts, which all see the same
 * snapshot, never meet, and (key, channel) names one claim. The function keeps its plan for the session (planned
 * for each batch, the statement cost PostgreSQL more than running it), a plan that looks every row up by its key at
 * any table size.
 */
const LOG_SQL =
  'SELECT * FROM notify_log_batch_keyed($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)';

interface Row {
  notification_key: string | null;
  channel: string | null;
  ord: string | null;
  attempts: number | null;
  created_at: Date | null;
  current_state: string | null;
  current_ref: string | null;
  prior: [string, string][] | null;
}

/**
 * The delivery log of one notifier, written in batches: what concurrent deliveries ask of it while a statement is
 * with PostgreSQL (claims before calling the provider, marks after) goes together in the next statement, one
 * round trip and one commit for all, instead of 3–4 round trips each. The guarantees are those of the per-row
 * statements: a row is claimed before the provider is called, and marked sent before the message is acked.
 */
export class DeliveryLog {
  readonly #ops: Coalescer<Op, Claimed | NotClaimed | undefined>;

  constructor(
    readonly pool: Pool,
    readonly notifier: string,
    readonly leaseMs = 30_000,
    maxBatch = 256,
  ) {
    this.#ops = new Coalescer<Op, Claimed | NotClaimed | undefined>(
      (ops) => this.#run(ops),
      (op) => {
        const r = op.claim ?? op.sent;
        return `${r.key}\u0000${r.channel}`;
      },
      maxBatch,
      // A value PostgreSQL refuses (a key past the index's size limit, say) fails its own delivery, not the claims
      // and marks that shared its statement (the consumer dead-letters a message whose error is permanent).
      isPermanentDbError,
    );
  }

  claim(req: ClaimRequest): Promise<Claimed | NotClaimed> {
    return this.#ops.submit({ claim: req }) as Promise<Claimed | NotClaimed>;
  }

  async markSent(mark: SentMark): Promise<void> {
    await this.#ops.submit({ sent: mark });
  }

  async #run(ops: Op[]): Promise<(Claimed | NotClaimed | undefined)[]> {
    const claim = {
      keys: [] as string[],
      channels: [] as string[],
      attempts: [] as string[],
      transitions: [] as string[],
    };
    const episodeOf = { ords: [] as number[], episodes: [] as string[], channels: [] as string[] };
    const sent = { keys: [] as string[], channels: [] as string[], refs: [] as (string | null)[] };
    const remembered = { episodes: [] as string[], channels: [] as string[], refs: [] as string[] };
    for (const op of ops) {
      if (op.claim) {
        const c = op.claim;
        claim.keys.push(c.key);
        claim.channels.push(c.channel);
        claim.attempts.push(c.attemptId);
        claim.transitions.push(c.transition);
        for (const e of c.episodes) {
          episodeOf.ords.push(claim.keys.length);
          episodeOf.episodes.push(e);
          episodeOf.channels.push(c.channel);
        }
      } else {
        const s = op.sent;
        sent.keys.push(s.key);
        sent.channels.push(s.channel);
        sent.refs.push(s.ref);
        if (s.ref === null) continue;
        for (const e of s.episodes) {
          remembered.episodes.push(e);
          remembered.channels.push(s.channel);
          remembered.refs.push(s.ref);
        }
      }
    }
    // An unnamed statement (cheap to plan: the function's own plan is kept); a named one could not be prepared on two
    // connections of the embedded PostgreSQL of `tocsin up` (one session for every connection).
    const r = await this.pool.query<Row>(LOG_SQL, [
      this.notifier,
      claim.keys,
      claim.channels,
      claim.attempts,
      claim.transitions,
      episodeOf.ords,
      episodeOf.episodes,
      episodeOf.channels,
      sent.keys,
      sent.channels,
      sent.refs,
      remembered.episodes,
      remembered.channels,
      remembered.refs,
      this.leaseMs,
    ]);
    const claimed = new Map<string, Row>();
    // By the claim's ordinal (from 1): its row as it was before the statement, and the messages already posted.
    const before: (Row | undefined)[] = [];
    const prior: (Row | undefined)[] = [];
    for (const row of r.rows) {
      if (row.notification_key !== null) claimed.set(`${row.notification_key}\u0000${row.channel}`, row);
      else if (row.prior !== null) prior[Number(row.ord)] = row;
      else before[Number(row.ord)] = row;
    }
    let ord = 0;
    return ops.map((op) => {
      if (!op.claim) return undefined;
      ord++;
      const c = claimed.get(`${op.claim.key}\u0000${op.claim.channel}`);
      return c ? claimedOutcome(c, prior[ord]) : notClaimed(before[ord]);
    });
  }
}

function claimedOutcome(row: Row, prior: Row | undefined): Claimed {
  return {
    claimed: true,
    attempts: row.attempts!,
    createdAt: row.created_at!,
    priorRefs: new Map(prior?.prior ?? []),
  };
}

function notClaimed(row: Row | undefined): NotClaimed {
  return { claimed: false, current: row ? { state: row.current_state!, ref: row.current_ref } : null };
}
