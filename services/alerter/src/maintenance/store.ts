import { newId } from '@tocsin/events';
import type { Pool, PoolClient } from '@tocsin/store';
import type { WindowRow } from './windows.ts';

type Q = Pool | PoolClient;

const ms = (v: unknown): number => (v as Date).getTime();

function toRow(r: Record<string, unknown>): WindowRow {
  return {
    id: r.id as string,
    name: r.name as string,
    matchers: r.matchers as WindowRow['matchers'],
    times: r.times as WindowRow['times'],
    origin: r.origin as WindowRow['origin'],
    author: r.author as string,
    reason: r.reason as string,
    created_at: ms(r.created_at),
    closed_until: ms(r.closed_until),
    ended_at: r.ended_at === null ? null : ms(r.ended_at),
  };
}

/** Windows that may still mute or close something (an ended window until its last occurrence is closed). */
export async function readLiveWindows(q: Q): Promise<WindowRow[]> {
  const r = await q.query(
    'SELECT * FROM alerter_maintenance WHERE ended_at IS NULL OR closed_until < ended_at ORDER BY id',
  );
  return r.rows.map(toRow);
}

export async function listWindows(q: Q, activeOnly: boolean): Promise<WindowRow[]> {
  const r = await q.query(
    `SELECT * FROM alerter_maintenance${activeOnly ? ' WHERE ended_at IS NULL' : ''} ORDER BY created_at DESC LIMIT 500`,
  );
  return r.rows.map(toRow);
}

export async function readWindow(q: Q, id: string): Promise<WindowRow | undefined> {
  const r = await q.query('SELECT * FROM alerter_maintenance WHERE id = $1', [id]);
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

export async function insertWindow(
  c: PoolClient,
  w: Omit<WindowRow, 'id' | 'created_at' | 'closed_until' | 'ended_at'> & { id?: string },
  now: number,
): Promise<WindowRow> {
  const r = await c.query(
    `INSERT INTO alerter_maintenance (id, name, matchers, times, origin, author, reason, created_at, closed_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
    [
      w.id ?? newId(now),
      w.name,
      JSON.stringify(w.matchers),
      JSON.stringify(w.times),
      w.origin,
      w.author,
      w.reason,
      new Date(now),
    ],
  );
  return toRow(r.rows[0]);
}

/** Ends a window now (no later occurrence; a running one ends now and is closed by the next tick). */
export async function endWindow(c: PoolClient, id: string, now: number): Promise<WindowRow | undefined> {
  const r = await c.query(
    'UPDATE alerter_maintenance SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL RETURNING *',
    [id, new Date(now)],
  );
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

/**
 * Makes the stored config windows those of the configuration: new ones are added, changed ones replaced (a new
 * row from now; the old one ends), removed ones end. Ids are `config:<name>`, plus a version once replaced.
 */
export async function syncConfigWindows(
  c: PoolClient,
  wanted: Omit<WindowRow, 'id' | 'created_at' | 'closed_until' | 'ended_at' | 'origin' | 'author'>[],
  now: number,
): Promise<{ added: string[]; ended: string[] }> {
  const r = await c.query(`SELECT * FROM alerter_maintenance WHERE origin = 'config' AND ended_at IS NULL`);
  const current = new Map(r.rows.map(toRow).map((w) => [w.name, w]));
  const same = (a: WindowRow, b: (typeof wanted)[number]) =>
    JSON.stringify([a.matchers, a.times, a.reason]) === JSON.stringify([b.matchers, b.times, b.reason]);
  const added: string[] = [];
  const ended: string[] = [];
  const keep = new Set<string>();
  for (const w of wanted) {
    const old = current.get(w.name);
    if (old && same(old, w)) {
      keep.add(old.id);
      continue;
    }
    if (old) {
      await endWindow(c, old.id, now);
      ended.push(old.id);
      keep.add(old.id);
    }
    const row = await insertWindow(
      c,
      { ...w, id: `config:${w.name}:${newId(now)}`, origin: 'config', author: 'config' },
      now,
    );
    added.push(row.id);
  }
  for (const old of current.values())
    if (!keep.has(old.id)) {
      await endWindow(c, old.id, now);
      ended.push(old.id);
    }
  return { added, ended };
}

/** Records the alerts an occurrence held back (from a flush's holds). */
export async function recordMuted(
  c: PoolClient,
  muted: { occurrence: string; episode_id: string }[],
  now: number,
): Promise<void> {
  if (!muted.length) return;
  await c.query(
    `INSERT INTO alerter_maintenance_muted (occurrence, episode_id, at)
     SELECT x.occurrence, x.episode_id, $2 FROM jsonb_to_recordset($1::jsonb) AS x(occurrence text, episode_id text)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(muted), new Date(now)],
  );
}
