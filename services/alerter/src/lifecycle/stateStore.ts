import {
  type Column,
  extendedQuery,
  JsonLiterals,
  type Pool,
  type PoolClient,
  simpleQuery,
  sqlInt,
  unnestRows,
} from '@tocsin/store';
import type { Presence, StateRow } from './types.ts';

export type Queryable = Pool | PoolClient;

export interface Meta {
  version: number;
  silences_version: number;
  subscriptions_version: number;
  /** Counts the prunes of old state rows (pruneStates): a replica whose cache read another count drops what is gone. */
  state_pruned: number;
}

const META_COLUMNS = 'version, silences_version, subscriptions_version, state_pruned';
export const META_SQL = `SELECT ${META_COLUMNS} FROM alerter_meta WHERE id = 1`;
export const PRESENCE_SQL =
  'SELECT fingerprint, rule_id, labels, last_seen, last_event, ended FROM alerter_presence';

export function toMeta(r: Record<string, unknown>): Meta {
  return {
    version: Number(r.version),
    silences_version: Number(r.silences_version),
    subscriptions_version: Number(r.subscriptions_version),
    state_pruned: Number(r.state_pruned),
  };
}

export async function readMeta(q: Queryable): Promise<Meta> {
  const r = await q.query(META_SQL);
  return toMeta(r.rows[0]);
}

/**
 * Takes the alerter's lock for the rest of the transaction and opens a new state version. Every change to alert
 * state goes through here, so replicas never decide on state another replica is changing.
 */
export async function lockState(
  c: PoolClient,
  bump: 'silences' | 'subscriptions' | null = null,
): Promise<Meta> {
  const r = await c.query(lockStatement(bump));
  return toMeta(r.rows[0]);
}

function lockStatement(bump: 'silences' | 'subscriptions' | null): string {
  const extra =
    bump === 'silences'
      ? ', silences_version = silences_version + 1'
      : bump === 'subscriptions'
        ? ', subscriptions_version = subscriptions_version + 1'
        : '';
  return `UPDATE alerter_meta SET version = version + 1${extra} WHERE id = 1 RETURNING ${META_COLUMNS}`;
}

/**
 * Opens a transaction and takes the lock (lockState) in one round trip: both statements go as one simple query.
 * `prelude`, statements of the same simple query (inputs as SQL literals, or marks of `json`), runs right after
 * the lock; its results are returned. The caller commits or rolls back.
 */
export async function beginLocked(
  c: PoolClient,
  bump: 'silences' | 'subscriptions' | null = null,
  prelude?: string,
  json?: JsonLiterals,
): Promise<Meta & { prelude: { rows: Record<string, unknown>[] }[] }> {
  const text = `BEGIN; ${lockStatement(bump)}${prelude ? `;\n${prelude}` : ''}`;
  const r = (await simpleQuery(c, text, json)) as unknown as { rows: Record<string, unknown>[] }[];
  return { ...toMeta(r[1]!.rows[0]!), prelude: r.slice(2) };
}

const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toRow(r: Record<string, unknown>): StateRow {
  return {
    fingerprint: r.fingerprint as string,
    rule_id: r.rule_id as string,
    status: r.status as StateRow['status'],
    episode_id: (r.episode_id as string | null) ?? null,
    since: n(r.since),
    band: (r.band as string | null) ?? null,
    last_value: r.last_value ?? null,
    step: n(r.step),
    fact_at: Number(r.fact_at),
    fact_id: r.fact_id as string,
    seen_at: n(r.seen_at),
    buckets: (r.buckets as Record<string, number> | null) ?? null,
    labels: r.labels as Record<string, string>,
    subscription_id: (r.subscription_id as string | null) ?? null,
    flap: (r.flap as StateRow['flap']) ?? null,
  };
}

/**
 * Each replica's copy of `alerter_state`. Refreshing reads only the rows whose version moved since the last
 * refresh, so a batch that changes nothing costs one small query.
 */
export class StateCache {
  version = -1;
  /** How many times it was reset: what was judged on it before a reset is judged again. */
  resets = 0;
  readonly rows = new Map<string, StateRow>();
  /** Fingerprints with something time-driven to evaluate (pending, firing, or a count window). */
  readonly active = new Set<string>();
  /** Pending or firing alerts per rule. */
  readonly #openByRule = new Map<string, number>();
  /** The prune count (Meta.state_pruned) the rows were read at; null before the first refresh. */
  #pruned: number | null = null;

  /** Whether a rule has any pending or firing alert. */
  hasOpen(ruleId: string): boolean {
    return (this.#openByRule.get(ruleId) ?? 0) > 0;
  }

  /** Whether this alert is pending or firing. */
  isOpen(fp: string): boolean {
    const row = this.rows.get(fp);
    return row !== undefined && row.status !== 'ok';
  }

  get(fp: string): StateRow | undefined {
    return this.rows.get(fp);
  }

  /** Brings the cache up to `meta.version` (read from the same connection). */
  async refresh(q: Queryable, meta: Meta): Promise<void> {
    if (this.#pruned !== null && meta.state_pruned !== this.#pruned) {
      // Rows were deleted by another replica's prune, which the rows changed since our version do not name: the
      // fingerprints still stored say which (keys only, not the rows again).
      const stored = await q.query<{ fingerprint: string }>('SELECT fingerprint FROM alerter_state');
      const kept = new Set(stored.rows.map((r) => r.fingerprint));
      for (const fp of [...this.rows.keys()]) if (!kept.has(fp)) this.#drop(fp);
    }
    this.#pruned = meta.state_pruned;
    if (meta.version <= this.version) return;
    const r = await q.query('SELECT * FROM alerter_state WHERE version > $1', [this.version]);
    for (const raw of r.rows) this.put(toRow(raw));
    this.version = meta.version;
  }

  put(row: StateRow): void {
    const prev = this.rows.get(row.fingerprint);
    if (prev && prev.status !== 'ok')
      this.#openByRule.set(prev.rule_id, (this.#openByRule.get(prev.rule_id) ?? 1) - 1);
    if (row.status !== 'ok') this.#openByRule.set(row.rule_id, (this.#openByRule.get(row.rule_id) ?? 0) + 1);
    this.rows.set(row.fingerprint, row);
    if (row.status !== 'ok' || row.buckets || row.flap?.card) this.active.add(row.fingerprint);
    else this.active.delete(row.fingerprint);
  }

  /** After our own commit at `version` (or once it is sent: see AlerterCore.stageLocked). */
  commit(rows: Iterable<StateRow>, version: number): void {
    for (const row of rows) this.put(row);
    if (version === this.version + 1) this.version = version;
  }

  /** The rows this replica's prune deleted, gone; `pruned` is the count that prune left (pruneStates). */
  forget(fingerprints: readonly string[], pruned: number): void {
    for (const fp of fingerprints) this.#drop(fp);
    this.#pruned = pruned;
  }

  #drop(fp: string): void {
    const row = this.rows.get(fp);
    if (!row) return;
    if (row.status !== 'ok') this.#openByRule.set(row.rule_id, (this.#openByRule.get(row.rule_id) ?? 1) - 1);
    this.rows.delete(fp);
    this.active.delete(fp);
  }

  /** Forgets everything (a commit it had taken failed): the next refresh reads the whole state again. */
  reset(): void {
    this.rows.clear();
    this.active.clear();
    this.#openByRule.clear();
    this.version = -1;
    this.resets++;
  }

  *activeRows(): Iterable<StateRow> {
    for (const fp of this.active) yield this.rows.get(fp)!;
  }
}

/**
 * Deletes the state of alerts that have been ok, with nothing counting or flapping, since before `before` (ms: their
 * last fact and last sighting), except the rules in `keep` (a discrete value's rows hold the baseline its next change
 * is told against). A new fact about one of them starts it afresh, as a first fact does. Run under the lock
 * (lockState), which it holds for one statement: at most `limit` rows a run (the next run takes more), so a backlog
 * (the first prune after an upgrade) does not stall the batches. Counts the prune in the meta row when it deleted
 * anything.
 */
export async function pruneStates(
  c: PoolClient,
  before: number,
  keep: readonly string[],
  limit = 10_000,
): Promise<{ fingerprints: string[]; pruned: number } | null> {
  const r = await c.query<{ fingerprint: string }>(
    `DELETE FROM alerter_state WHERE fingerprint IN (
       SELECT fingerprint FROM alerter_state
       WHERE status = 'ok' AND buckets IS NULL AND flap->>'card' IS NULL
         AND greatest(fact_at, coalesce(seen_at, 0)) < $1 AND rule_id <> ALL($2::text[])
       LIMIT $3)
     RETURNING fingerprint`,
    [before, keep, limit],
  );
  if (!r.rows.length) return null;
  const m = await c.query(
    'UPDATE alerter_meta SET state_pruned = state_pruned + 1 WHERE id = 1 RETURNING state_pruned',
  );
  return { fingerprints: r.rows.map((x) => x.fingerprint), pruned: Number(m.rows[0].state_pruned) };
}

const STATE_COLUMNS: Column<StateRow>[] = [
  ['fingerprint', 'text', (r) => r.fingerprint],
  ['rule_id', 'text', (r) => r.rule_id],
  ['status', 'text', (r) => r.status],
  ['episode_id', 'text', (r) => r.episode_id],
  ['since', 'bigint', (r) => r.since],
  ['band', 'text', (r) => r.band],
  ['last_value', 'jsonb', (r) => r.last_value],
  ['step', 'float8', (r) => r.step],
  ['fact_at', 'bigint', (r) => r.fact_at],
  ['fact_id', 'text', (r) => r.fact_id],
  ['seen_at', 'bigint', (r) => r.seen_at],
  ['buckets', 'jsonb', (r) => r.buckets],
  ['labels', 'jsonb', (r) => r.labels],
  ['subscription_id', 'text', (r) => r.subscription_id],
  ['flap', 'jsonb', (r) => r.flap],
];

/** `from`: the rows as `x` (column arrays: unnestRows). */
function writeStatesSql(version: string, from: string): string {
  return `INSERT INTO alerter_state (fingerprint, rule_id, status, episode_id, since, band, last_value, step, fact_at,
       fact_id, seen_at, buckets, labels, subscription_id, flap, version)
     SELECT x.fingerprint, x.rule_id, x.status, x.episode_id, x.since, x.band, x.last_value, x.step, x.fact_at,
       x.fact_id, x.seen_at, x.buckets, x.labels, x.subscription_id, x.flap, ${version}
     FROM ${from}
     ON CONFLICT (fingerprint) DO UPDATE SET rule_id = EXCLUDED.rule_id, status = EXCLUDED.status,
       episode_id = EXCLUDED.episode_id, since = EXCLUDED.since, band = EXCLUDED.band,
       last_value = EXCLUDED.last_value, step = EXCLUDED.step, fact_at = EXCLUDED.fact_at,
       fact_id = EXCLUDED.fact_id, seen_at = EXCLUDED.seen_at, buckets = EXCLUDED.buckets,
       labels = EXCLUDED.labels, subscription_id = EXCLUDED.subscription_id, flap = EXCLUDED.flap,
       version = EXCLUDED.version`;
}

/**
 * Writes the states and commits, in one round trip (extendedQuery: the rows go as array parameters, one per column,
 * written straight into the message: unnestRows). `before`, a statement of the same transaction (the flush's
 * final write, its inputs marks of its `json`), goes first in the same query; its rows are returned; `after`, one
 * statement whose result is not read, goes last before the COMMIT (each is parsed as one statement). If a statement
 * fails, the COMMIT is not run and the caller rolls back.
 */
export async function writeStatesAndCommit(
  c: PoolClient,
  rows: Iterable<StateRow>,
  version: number,
  before?: { sql: string; json: JsonLiterals } | null,
  /** A statement of the same transaction whose result is not read (the outbox's published rows: OutboxMarks). */
  after?: string,
): Promise<Record<string, unknown>[]> {
  const list = [...rows];
  const statements = before ? [before.sql] : [];
  const lits = new JsonLiterals().merge(before?.json);
  if (list.length) {
    statements.push(writeStatesSql(sqlInt(version, 'state version'), unnestRows(lits, list, STATE_COLUMNS)));
  }
  if (after) statements.push(after);
  statements.push('COMMIT');
  const r = (await extendedQuery(c, statements, lits)) as unknown as
    | { rows: Record<string, unknown>[] }
    | { rows: Record<string, unknown>[] }[];
  if (!before) return [];
  return Array.isArray(r) ? r[0]!.rows : r.rows;
}

/**
 * Last-seen times only move forward, so replicas can write them without the lock (and a heartbeat that another
 * replica applies after a goodbye does not undo it).
 */
export async function writePresence(q: Queryable, list: Presence[]): Promise<void> {
  if (!list.length) return;
  await q.query(
    `INSERT INTO alerter_presence (fingerprint, rule_id, labels, last_seen, last_event, ended)
     SELECT x.fingerprint, x.rule_id, x.labels, x.last_seen, x.last_event, x.ended
     FROM jsonb_to_recordset($1::jsonb) AS x(fingerprint text, rule_id text, labels jsonb, last_seen bigint,
       last_event jsonb, ended boolean)
     ON CONFLICT (fingerprint) DO UPDATE SET last_seen = EXCLUDED.last_seen, last_event = EXCLUDED.last_event,
       labels = EXCLUDED.labels, ended = EXCLUDED.ended
     WHERE alerter_presence.last_seen < EXCLUDED.last_seen`,
    [JSON.stringify(list)],
  );
}

export async function readPresence(q: Queryable): Promise<Presence[]> {
  const r = await q.query(PRESENCE_SQL);
  return r.rows.map(toPresence);
}

export function toPresence(p: Record<string, unknown>): Presence {
  return {
    fingerprint: p.fingerprint as string,
    rule_id: p.rule_id as string,
    labels: p.labels as Record<string, string>,
    last_seen: Number(p.last_seen),
    last_event: p.last_event as Presence['last_event'],
    ended: p.ended === true,
  };
}

export async function forgetPresence(c: PoolClient, fingerprints: string[]): Promise<void> {
  if (fingerprints.length)
    await c.query('DELETE FROM alerter_presence WHERE fingerprint = ANY($1)', [fingerprints]);
}
