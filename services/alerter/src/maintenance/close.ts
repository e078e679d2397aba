import { type Alert, type Notification, newId, SEVERITIES } from '@tocsin/events';
import type { PoolClient } from '@tocsin/store';
import { type EpisodeRow, toEpisode } from '../history/episodes.ts';
import { insertTimeline } from '../lifecycle/episodeStore.ts';
import { type OutboxRow, outboxRows } from '../outbox/outbox.ts';
import type { Window, WindowOccurrence } from './windows.ts';

const iso = (ms: number) => new Date(ms).toISOString();
/** Lines listed in a summary's description; the count covers the rest. */
const LISTED = 20;

const same = (values: string[], fallback: string) =>
  values.length && values.every((v) => v === values[0]) ? values[0]! : fallback;

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
  const lines = eps
    .slice(0, LISTED)
    .map((e) => `• ${e.state === 'resolved' ? 'resolved' : e.state}: ${e.summary} (${e.chain_id})`);
  if (eps.length > LISTED) lines.push(`… and ${eps.length - LISTED} more`);
  const source = same(
    eps.map((e) => e.source),
    'alerter',
  );
  const chain = same(
    eps.map((e) => e.chain_id),
    'several',
  );
  let sev = 0;
  for (const e of eps) sev = Math.max(sev, SEVERITIES.indexOf(e.severity));
  const severity = SEVERITIES[sev]!;
  const labels = { maintenance: w.name };
  const summary: Alert = {
    fingerprint: `maintenance:${w.id}`,
    episode_id: newId(o.end),
    rule_id: 'maintenance',
    state: 'resolved',
    severity,
    source,
    chain_id: chain,
    labels,
    summary: summaryText(w.name, eps),
    description: lines.join('\n'),
    started_at: iso(o.start),
    resolved_at: iso(o.end),
    value: eps.length,
    acknowledged: null,
    silenced_by: [],
    escalated: false,
    mentions: [],
    links: [],
    event_id: null,
    retracted: null,
  };
  return {
    id: newId(now),
    version: 1,
    key: `${o.id}:summary`,
    transition: 'notice',
    severity,
    source,
    group: { key: `maintenance:${w.id}`, labels },
    alerts: [summary],
    mentions: [],
    created_at: iso(now),
  };
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
    if (eps.length) {
      const n = summaryNotification(w, o, eps, now);
      const q = await c.query(
        `INSERT INTO alerter_outbox (key, payload, lease_until)
         VALUES ($1, $2, clock_timestamp() + ($3::bigint * interval '1 millisecond'))
         ON CONFLICT (key) DO NOTHING RETURNING seq, key`,
        [n.key, JSON.stringify(n), outboxLeaseMs],
      );
      out.push(...outboxRows(q.rows, [{ key: n.key, payload: n }]));
    }
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
