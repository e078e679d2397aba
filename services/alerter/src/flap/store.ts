import type { PoolClient } from '@tocsin/store';
import type { FlapEffect } from './flap.ts';

/**
 * Writes flap effects (flap/flap.ts): a `flapping` transition of each card episode, which chats turn into an edit of
 * its one message (only the newest waits: an older edit not yet sent is replaced), and its timeline entry. Returns
 * the groups that received one.
 */
export async function writeFlaps(c: PoolClient, flaps: FlapEffect[], now: number): Promise<Set<string>> {
  if (!flaps.length) return new Set();
  const list = flaps.map((f) => ({
    episode_id: f.episode_id,
    at: f.at,
    detail: { changes: f.changes, window_ms: f.window_ms, state: f.state, settled: f.settled },
  }));
  const r = await c.query(
    `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(episode_id text, at bigint, detail jsonb)),
       dropped AS (DELETE FROM alerter_pending p USING x WHERE p.episode_id = x.episode_id
         AND p.transition = 'flapping'),
       said AS (INSERT INTO alerter_timeline (episode_id, at, kind, detail)
         SELECT x.episode_id, to_timestamp(x.at / 1000.0), 'flapping', x.detail FROM x)
     INSERT INTO alerter_pending (group_key, episode_id, transition, created_at, detail)
     SELECT e.group_key, x.episode_id, 'flapping', $2, x.detail
     FROM x JOIN alerter_episodes e ON e.episode_id = x.episode_id
     RETURNING group_key`,
    [JSON.stringify(list), now],
  );
  // Settled firing: the held episode counts as announced (by the card's last edit), so it repeats, escalates and
  // its resolve is said like any alert's.
  const current = flaps.flatMap((f) => (f.current ? [f.current] : []));
  if (current.length)
    await c.query(
      `UPDATE alerter_episodes SET notified_at = to_timestamp($2 / 1000.0),
         next_repeat_at = CASE WHEN repeat_interval_ms > 0 AND acked_at IS NULL
           THEN to_timestamp(($2 + repeat_interval_ms) / 1000.0) END,
         escalate_at = CASE WHEN escalate_after_ms IS NOT NULL AND acked_at IS NULL AND escalated_at IS NULL
           THEN to_timestamp(($2 + escalate_after_ms) / 1000.0) END
       WHERE episode_id = ANY($1) AND state = 'firing' AND notified_at IS NULL AND suppressed_by IS NULL`,
      [current, now],
    );
  return new Set(r.rows.map((row) => row.group_key as string));
}
