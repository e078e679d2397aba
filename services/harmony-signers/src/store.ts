import { type PoolClient, sqlLiteral } from '@tocsin/store';
import type { HostRow, KeyState } from './detection.ts';

// A batch is two round trips: BEGIN with record-and-lock and the read of the hosts holding its keys, then the
// write-back with COMMIT. The statements are PL/pgSQL functions (migration 1797100000000), so their plans are kept
// for the session instead of made for every batch. Each statement takes all its rows at once (jsonb_to_recordset)
// and its locks in one order (reports by token and nonce, then hosts by token and hostname, then keys, each in byte
// order), so two batches, on one replica or two, do not wait on each other in a cycle (should PostgreSQL still
// report a deadlock, the batcher retries each report alone).

/** A report's history row (harmony_reports). */
export interface ReportRow {
  token_id: string;
  nonce: string;
  owner: string;
  hostname: string;
  validator_address: string | null;
  node_reachable: boolean;
  node_error: string | null;
  shard_id: number | null;
  blskeys: string[];
  mode: string | null;
  is_backup: boolean | null;
  peerid: string | null;
  block_number: number | null;
  /** ISO 8601 in UTC (toISOString): JSON.stringify then takes its fast path, with no Date.toJSON per row. */
  reported_at: string;
  received_at: string;
  interval_s: number;
  buffered: boolean;
}

/** A value as a jsonb literal (the batch's statements go as simple queries, with BEGIN and COMMIT: no parameters). */
const lit = (v: unknown) => `${sqlLiteral(JSON.stringify(v))}::jsonb`;
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A host row as PostgreSQL returned it (to_jsonb), its times made Dates in place (the parsed object is ours). */
const toHost = (j: Record<string, unknown>): HostRow => {
  j.reported_at = new Date(j.reported_at as string);
  j.received_at = new Date(j.received_at as string);
  return j as unknown as HostRow;
};

/**
 * The batch's first round trip: BEGIN; a statement that inserts the history rows, locks the batch's hosts that exist,
 * and creates and locks the rows of every key the batch's reports hold or its hosts held; then a second statement
 * reading the hosts that hold one of those keys since `freshSince` and the hosts of their open risks. The second
 * statement has a snapshot of its own, taken once the first holds its locks (READ COMMITTED), so it sees every report
 * about those keys committed by a batch it waited for. Returns "token_id nonce" of the reports inserted (the others
 * were replays), the locked hosts, the keys' rows and the holders.
 */
export async function recordAndLock(
  c: PoolClient,
  rows: ReportRow[],
  freshSince: Date,
): Promise<{ inserted: Set<string>; hosts: HostRow[]; keys: Map<string, KeyState>; holders: HostRow[] }> {
  const sorted = [...rows].sort((a, b) => byteOrder(a.token_id, b.token_id) || byteOrder(a.nonce, b.nonce));
  const hosts = [
    ...new Map(
      rows.map((r) => [`${r.token_id}/${r.hostname}`, { token_id: r.token_id, hostname: r.hostname }]),
    ).values(),
  ];
  const reportKeys = [...new Set(rows.flatMap((r) => r.blskeys))];
  const results = (await c.query(
    `BEGIN;
     SELECT kind, row_data FROM harmony_record_and_lock(${lit(sorted)}, ${lit(hosts)}, ${lit(reportKeys)},
       ${sqlLiteral(freshSince.toISOString())}::timestamptz)`,
  )) as unknown as [unknown, { rows: { kind: 'r' | 'h' | 'k' | 'x'; row_data: Record<string, unknown> }[] }];
  const inserted = new Set<string>();
  const locked: HostRow[] = [];
  const holders: HostRow[] = [];
  const keys = new Map<string, KeyState>();
  for (const { kind, row_data: row } of results[1].rows) {
    if (kind === 'r') inserted.add(`${row.token_id} ${row.nonce}`);
    else if (kind === 'h') locked.push(toHost(row));
    else if (kind === 'x') holders.push(toHost(row));
    else {
      const { bls_key, ...state } = row as unknown as KeyState & { bls_key: string };
      keys.set(bls_key, state);
    }
  }
  return { inserted, hosts: locked, keys, holders };
}

/**
 * The batch's last statement and its commit, in one round trip: the hosts' latest state (inserted when new) and the
 * keys' rows it changed.
 */
export async function writeBackAndCommit(
  c: PoolClient,
  hosts: HostRow[],
  keys: Map<string, KeyState>,
  dirty: Set<string>,
): Promise<void> {
  const keyRows = [...dirty].sort().map((k) => ({ bls_key: k, ...keys.get(k)! }));
  await c.query(`SELECT harmony_write_back(${lit(hosts)}, ${lit(keyRows)});
     COMMIT`);
}
