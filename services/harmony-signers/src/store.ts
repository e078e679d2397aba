import { type PoolClient, sqlLiteral } from '@tocsin/store';
import type { HostRow, KeyState } from './detection.ts';

// A batch is two round trips: BEGIN with record-and-lock and the read of the hosts holding its keys, then the
// write-back with COMMIT. Each statement takes all its rows at once (jsonb_to_recordset) and its locks in one order (reports by token and
// nonce, then hosts by token and hostname, then keys, each in byte order), so two batches, on one replica or two,
// do not wait on each other in a cycle (should PostgreSQL still report a deadlock, the batcher retries each report
// alone).

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
  reported_at: Date;
  received_at: Date;
  interval_s: number;
  buffered: boolean;
}

/** A value as a jsonb literal (the batch's statements go as simple queries, with BEGIN and COMMIT: no parameters). */
const lit = (v: unknown) => `${sqlLiteral(JSON.stringify(v))}::jsonb`;
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const HOST_ORDER = 'token_id COLLATE "C", hostname COLLATE "C"';

const toHost = (j: Record<string, unknown>): HostRow =>
  ({
    ...j,
    reported_at: new Date(j.reported_at as string),
    received_at: new Date(j.received_at as string),
  }) as HostRow;

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
     WITH ins AS (
       INSERT INTO harmony_reports (token_id, nonce, owner, hostname, validator_address, node_reachable, node_error,
         shard_id, blskeys, mode, is_backup, peerid, block_number, reported_at, received_at, interval_s, buffered)
       SELECT token_id, nonce, owner, hostname, validator_address, node_reachable, node_error, shard_id, blskeys, mode,
         is_backup, peerid, block_number, reported_at, received_at, interval_s, buffered
       FROM jsonb_to_recordset(${lit(sorted)}) AS x(token_id text, nonce text, owner text, hostname text,
         validator_address text, node_reachable boolean, node_error text, shard_id integer, blskeys text[], mode text,
         is_backup boolean, peerid text, block_number bigint, reported_at timestamptz, received_at timestamptz,
         interval_s double precision, buffered boolean)
       ON CONFLICT (token_id, nonce) DO NOTHING RETURNING token_id, nonce
     ), h AS (
       SELECT * FROM harmony_hosts WHERE (token_id, hostname) IN (
         SELECT * FROM jsonb_to_recordset(${lit(hosts)}) AS y(token_id text, hostname text))
       ORDER BY ${HOST_ORDER} FOR UPDATE
     ), k AS (
       INSERT INTO harmony_keys (bls_key)
       SELECT key FROM (SELECT jsonb_array_elements_text(${lit(reportKeys)}) AS key UNION SELECT unnest(blskeys) FROM h) u
       ORDER BY key COLLATE "C"
       ON CONFLICT (bls_key) DO UPDATE SET bls_key = EXCLUDED.bls_key
       RETURNING bls_key, risk_hosts, not_signing, last_signer, last_signer_owner
     )
     SELECT 'r' AS kind, to_jsonb(ins) AS row FROM ins
     UNION ALL SELECT 'h', to_jsonb(h) FROM h
     UNION ALL SELECT 'k', to_jsonb(k) FROM k;
     WITH k AS (
       SELECT bls_key, risk_hosts FROM harmony_keys WHERE bls_key IN (
         SELECT jsonb_array_elements_text(${lit(reportKeys)})
         UNION SELECT unnest(blskeys) FROM harmony_hosts WHERE (token_id, hostname) IN (
           SELECT * FROM jsonb_to_recordset(${lit(hosts)}) AS y(token_id text, hostname text)))
     )
     SELECT * FROM harmony_hosts
     WHERE (blskeys && ARRAY(SELECT bls_key FROM k) AND reported_at >= ${sqlLiteral(freshSince.toISOString())}::timestamptz)
       OR (token_id || '/' || hostname) = ANY(ARRAY(SELECT unnest(risk_hosts) FROM k))`,
  )) as unknown as [
    unknown,
    { rows: { kind: 'r' | 'h' | 'k'; row: Record<string, unknown> }[] },
    { rows: HostRow[] },
  ];
  const out = results[1].rows;
  const inserted = new Set<string>();
  const locked: HostRow[] = [];
  const keys = new Map<string, KeyState>();
  for (const { kind, row } of out) {
    if (kind === 'r') inserted.add(`${row.token_id} ${row.nonce}`);
    else if (kind === 'h') locked.push(toHost(row));
    else {
      const { bls_key, ...state } = row as unknown as KeyState & { bls_key: string };
      keys.set(bls_key, state);
    }
  }
  return { inserted, hosts: locked, keys, holders: results[2].rows };
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
  await c.query(
    `WITH hu AS (
       INSERT INTO harmony_hosts (token_id, hostname, owner, validator_address, node_reachable, shard_id, blskeys,
         mode, is_backup, reported_at, received_at, interval_s, last_nonce)
       SELECT token_id, hostname, owner, validator_address, node_reachable, shard_id, blskeys, mode, is_backup,
         reported_at, received_at, interval_s, last_nonce
       FROM jsonb_to_recordset(${lit(hosts)}) AS x(token_id text, hostname text, owner text, validator_address text,
         node_reachable boolean, shard_id integer, blskeys text[], mode text, is_backup boolean,
         reported_at timestamptz, received_at timestamptz, interval_s double precision, last_nonce text)
       ORDER BY ${HOST_ORDER}
       ON CONFLICT (token_id, hostname) DO UPDATE SET owner = EXCLUDED.owner,
         validator_address = EXCLUDED.validator_address, node_reachable = EXCLUDED.node_reachable,
         shard_id = EXCLUDED.shard_id, blskeys = EXCLUDED.blskeys, mode = EXCLUDED.mode,
         is_backup = EXCLUDED.is_backup, reported_at = EXCLUDED.reported_at, received_at = EXCLUDED.received_at,
         interval_s = EXCLUDED.interval_s, last_nonce = EXCLUDED.last_nonce
     ), ku AS (
       UPDATE harmony_keys k SET risk_hosts = x.risk_hosts, not_signing = x.not_signing,
         last_signer = x.last_signer, last_signer_owner = x.last_signer_owner
       FROM jsonb_to_recordset(${lit(keyRows)}) AS x(bls_key text, risk_hosts text[], not_signing boolean,
         last_signer text, last_signer_owner text)
       WHERE k.bls_key = x.bls_key
     )
     SELECT 1;
     COMMIT`,
  );
}
