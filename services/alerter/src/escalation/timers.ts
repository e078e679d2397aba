import type { PoolClient } from '@tocsin/store';
import { insertPending } from '../lifecycle/episodeStore.ts';
import { type ActiveSilence, silencedBy } from '../silences/match.ts';

/**
 * repeat_interval: a firing, unacknowledged alert is notified again. A silenced one is not (its next repeat moves
 * on); the flush sets the next repeat time once the repeat went out.
 */
export async function enqueueRepeats(c: PoolClient, now: number, silences: ActiveSilence[]): Promise<void> {
  const due = await c.query(
    `SELECT episode_id, group_key, labels, repeat_interval_ms FROM alerter_episodes
     WHERE next_repeat_at <= $1 AND state = 'firing' AND acked_at IS NULL AND suppressed_by IS NULL`,
    [new Date(now)],
  );
  if (!due.rows.length) return;
  const repeat = due.rows.filter((r) => silencedBy(silences, r.labels, now).length === 0);
  const muted = due.rows.filter((r) => !repeat.includes(r));
  await c.query('UPDATE alerter_episodes SET next_repeat_at = NULL WHERE episode_id = ANY($1)', [
    repeat.map((r) => r.episode_id),
  ]);
  if (muted.length)
    await c.query(
      `UPDATE alerter_episodes SET next_repeat_at = to_timestamp(($2 + repeat_interval_ms) / 1000.0)
       WHERE episode_id = ANY($1)`,
      [muted.map((r) => r.episode_id), now],
    );
  await insertPending(
    c,
    repeat.map((r) => ({
      group_key: r.group_key,
      episode_id: r.episode_id,
      transition: 'repeat',
      created_at: now,
    })),
  );
}
