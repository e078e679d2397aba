import { type Matcher, newId, type silence } from '@tocsin/events';
import type { Pool, PoolClient } from '@tocsin/store';
import type { z } from 'zod';
import type { ActiveSilence } from './match.ts';

export type Silence = z.output<typeof silence>;

function toSilence(r: Record<string, unknown>): Silence {
  return {
    id: r.id as string,
    matchers: r.matchers as Matcher[],
    starts_at: (r.starts_at as Date).toISOString(),
    ends_at: (r.ends_at as Date).toISOString(),
    author: r.author as string,
    reason: r.reason as string,
    created_at: (r.created_at as Date).toISOString(),
  };
}

/** Silences in effect at `now`. */
export function readActiveSilences(q: Pool | PoolClient, now: number): Promise<ActiveSilence[]> {
  return readSilenceWindows(q, now, true);
}

/** Silences not over at `now` (including ones that start later), for the cache of a replica. */
export function readSilences(q: Pool | PoolClient, now: number): Promise<ActiveSilence[]> {
  return readSilenceWindows(q, now, false);
}

async function readSilenceWindows(
  q: Pool | PoolClient,
  now: number,
  startedOnly: boolean,
): Promise<ActiveSilence[]> {
  const r = await q.query(
    `SELECT id, matchers, starts_at, ends_at FROM alerter_silences
     WHERE ends_at > $1${startedOnly ? ' AND starts_at <= $1' : ''}`,
    [new Date(now)],
  );
  return r.rows.map((s) => ({
    id: s.id,
    matchers: s.matchers,
    starts_at: (s.starts_at as Date).getTime(),
    ends_at: (s.ends_at as Date).getTime(),
  }));
}

export async function insertSilence(
  c: PoolClient,
  s: { matchers: Matcher[]; starts_at: number; ends_at: number; author: string; reason: string; now: number },
): Promise<Silence> {
  const r = await c.query(
    `INSERT INTO alerter_silences (id, matchers, starts_at, ends_at, author, reason, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
    [
      newId(s.now),
      JSON.stringify(s.matchers),
      new Date(s.starts_at),
      new Date(s.ends_at),
      s.author,
      s.reason,
      new Date(s.now),
    ],
  );
  return toSilence(r.rows[0]);
}

/** Ends a silence now; returns it, or undefined when there is no such silence still running. */
export async function endSilence(c: PoolClient, id: string, now: number): Promise<Silence | undefined> {
  const r = await c.query(
    `UPDATE alerter_silences SET ends_at = greatest(starts_at, $2) WHERE id = $1 AND ends_at > $2 RETURNING *`,
    [id, new Date(now)],
  );
  return r.rows[0] ? toSilence(r.rows[0]) : undefined;
}

export async function listSilences(
  q: Pool | PoolClient,
  activeOnly: boolean,
  now: number,
): Promise<Silence[]> {
  const r = activeOnly
    ? await q.query('SELECT * FROM alerter_silences WHERE ends_at > $1 ORDER BY created_at DESC', [
        new Date(now),
      ])
    : await q.query('SELECT * FROM alerter_silences ORDER BY created_at DESC LIMIT 500');
  return r.rows.map(toSilence);
}
