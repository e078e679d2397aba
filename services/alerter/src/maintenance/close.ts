import type { Notification } from '@tocsin/events';
import type { PoolClient } from '@tocsin/store';
import { type EpisodeRow, toEpisode } from '../history/episodes.ts';
import { insertTimeline } from '../lifecycle/episodeStore.ts';
import { enqueueOne, type OutboxRow } from '../outbox/outbox.ts';
import { summaryNotice } from '../outbox/summaryNotice.ts';
import { dueToClose, type Window, type WindowOccurrence } from './windows.ts';

/** Lines listed in a summary's description; the count covers the rest. */
const LISTED = 20;

/** "3 alerts during maintenance "db upgrade", 1 still firing". */
export function summaryText(name: string, eps: readonly Pick<EpisodeRow, 'state'>[]): string {
  const firing = eps.filter((e) => e.state === 'firing').length;
  const pending = eps.filter((e) => e.state === 'pending').length;
  const n = eps.length;
  const parts = [`${n} alert${n === 1 ? '' : 's'} during maintenance "${name}"`, `${firing} still firing`];
  if (pending) parts.push(`${pending} pending`);
  return parts.join(', ');
}

/** The summary of an occurrence as a notice through the normal notification path (no buttons, no mentions). */
export function summaryNotification(
  w: Window,
  o: WindowOccurrence,
  eps: readonly EpisodeRow[],
  now: number,
): Notification {
  return summaryNotice(
    {
      key: `${o.id}:summary`,
      group: `maintenance:${w.id}`,
      ruleId: 'maintenance',
      labels: { maintenance: w.name },
      summary: summaryText(w.name, eps),
      line: (e) => `• ${e.state}: ${e.summary} (${e.chain_id})`,
      listed: LISTED,
      start: o.start,
      end: o.end,
      now,
    },
    eps,
  );
}

/**
 * Closes the occurrences that are over (under the alerter's lock, in the tick, before the flush): what they held
 * back and never announced (an alert that fired and resolved inside the window, a notice) is dropped; what is
 * still firing, or the resolve of an alert announced before the window, stays pending and goes out after the
 * summary. Each closed occurrence that held anything back gets one summary notification (committed in the outbox).
 */
export async function closeOccurrences(
  c: PoolClient,
  due: readonly WindowOccurrence[],
  now: number,
  outboxLeaseMs: number,
): Promise<OutboxRow[]> {
  const out: OutboxRow[] = [];
  for (const o of due) {
    const w = o.window;
    const r = await c.query(
      `WITH m AS (DELETE FROM alerter_maintenance_muted WHERE occurrence = $1 RETURNING episode_id)
       SELECT e.* FROM alerter_episodes e JOIN m USING (episode_id) ORDER BY e.started_at, e.episode_id`,
      [o.id],
    );
    const eps = r.rows.map(toEpisode);
    const unannounced = eps.filter((e) => e.state === 'resolved' && e.notified_at === null);
    if (unannounced.length)
      await c.query('DELETE FROM alerter_pending WHERE episode_id = ANY($1)', [
        unannounced.map((e) => e.episode_id),
      ]);
    await insertTimeline(
      c,
      eps.map((e) => ({
        episode_id: e.episode_id,
        at: now,
        kind: 'maintenance_ended',
        detail: { maintenance: w.id, name: w.name, occurrence: o.id, dropped: unannounced.includes(e) },
      })),
    );
    if (eps.length) out.push(...(await enqueueOne(c, summaryNotification(w, o, eps, now), outboxLeaseMs)));
    // A one-off is over once its occurrence closes (it is no longer read nor listed as in force).
    await c.query(
      `UPDATE alerter_maintenance SET closed_until = greatest(closed_until, $2),
         ended_at = CASE WHEN $3 THEN coalesce(ended_at, $2) ELSE ended_at END
       WHERE id = $1`,
      [w.id, new Date(o.end), w.schedule.kind === 'once'],
    );
  }
  if (due.length)
    // Other replicas re-read the windows (their cached copy would keep muting the closed occurrence).
    await c.query('UPDATE alerter_meta SET silences_version = silences_version + 1 WHERE id = 1');
  return out;
}

/**
 * Closes the occurrences of `windows` that are over at `now` (closeOccurrences): their summaries, written in the
 * outbox, and the windows as they are after (each closed until its last occurrence closed); null when none is due.
 */
export async function closeDue(
  c: PoolClient,
  windows: readonly Window[],
  now: number,
  leaseMs: number,
): Promise<{ rows: OutboxRow[]; windows: Window[] } | null> {
  const due = dueToClose(windows, now);
  if (!due.length) return null;
  const rows = await closeOccurrences(c, due, now, leaseMs);
  const closed = new Map<string, number>();
  for (const o of due) closed.set(o.window.id, Math.max(closed.get(o.window.id) ?? 0, o.end));
  return {
    rows,
    windows: windows.map((w) =>
      closed.has(w.id) ? { ...w, closed_until: Math.max(w.closed_until, closed.get(w.id)!) } : w,
    ),
  };
}
