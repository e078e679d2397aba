import type { PoolClient } from '@tocsin/store';
import {
  insertPending,
  insertTimeline,
  type PendingEntry,
  type TimelineEntry,
} from '../lifecycle/episodeStore.ts';
import type { Ladder } from './policy.ts';

/** Steps one run may climb for one alert (a ladder of notify steps and repeats without waits ends well before). */
const MAX_STEPS_PER_RUN = 1000;

interface DueRow {
  episode_id: string;
  group_key: string;
  escalate_at: Date;
  escalation_ladder: Ladder | null;
  escalation_mentions: string[];
  ladder_pos: number;
  ladder_round: number;
}

interface Climbed {
  episode_id: string;
  pos: number;
  round: number;
  next: number | null;
  notified: boolean;
  mentions: string[];
}

/**
 * Climbs one alert's ladder from where it stands to `now`: each wait moves the next step on (from when the wait
 * began, not from when the timer ran), each notify step queues an `escalated` notification addressed to its owners
 * and notifiers, `repeat` climbs again. Every step goes in the timeline.
 */
function climb(row: DueRow, now: number, pending: PendingEntry[], timeline: TimelineEntry[]): Climbed {
  // Episodes from before ladders: their one escalation, with the mentions they were opened with.
  const ladder: Ladder = row.escalation_ladder ?? {
    policy: 'escalate',
    steps: [{ notify: [], notifiers: [] }],
    repeat: 0,
  };
  const mentions = new Set(row.escalation_mentions);
  let at = row.escalate_at.getTime();
  let pos = row.ladder_pos;
  let round = row.ladder_round;
  let notified = false;
  const said = (kind: string, detail: Record<string, unknown>) =>
    timeline.push({ episode_id: row.episode_id, at, kind, detail: { policy: ladder.policy, ...detail } });
  for (let i = 0; i < MAX_STEPS_PER_RUN; i++) {
    if (pos >= ladder.steps.length) {
      if (round < ladder.repeat) {
        round++;
        pos = 0;
        said('escalation_repeat', { round, of: ladder.repeat });
        continue;
      }
      said('escalation_done', { round });
      return { episode_id: row.episode_id, pos, round, next: null, notified, mentions: [...mentions] };
    }
    const step = ladder.steps[pos]!;
    if ('wait' in step) {
      said('escalation_step', {
        step: pos,
        round,
        wait_ms: step.wait,
        until: new Date(at + step.wait).toISOString(),
      });
      at += step.wait;
      pos++;
      if (at > now)
        return { episode_id: row.episode_id, pos, round, next: at, notified, mentions: [...mentions] };
      continue;
    }
    for (const m of step.notify) mentions.add(m);
    notified = true;
    const detail = {
      policy: ladder.policy,
      step: pos,
      round,
      mentions: step.notify,
      notifiers: step.notifiers,
    };
    said('escalation_step', { step: pos, round, notify: step.notify, notifiers: step.notifiers });
    pending.push({
      group_key: row.group_key,
      episode_id: row.episode_id,
      transition: 'escalated',
      created_at: now,
      detail,
    });
    pos++;
  }
  throw new Error(`escalation policy ${ladder.policy}: more than ${MAX_STEPS_PER_RUN} steps at once`);
}

/**
 * Escalation: a firing alert nobody acknowledged climbs its ladder (escalation policy) step by step; an
 * acknowledgement or its resolution stops it (both clear `escalate_at`).
 */
export async function runLadders(c: PoolClient, now: number): Promise<void> {
  const due = await c.query(
    `SELECT episode_id, group_key, escalate_at, escalation_ladder, escalation_mentions, ladder_pos, ladder_round
     FROM alerter_episodes
     WHERE escalate_at <= to_timestamp($1 / 1000.0) AND state = 'firing' AND acked_at IS NULL
       AND suppressed_by IS NULL
     ORDER BY escalate_at, episode_id
     FOR UPDATE`,
    [now],
  );
  if (!due.rows.length) return;
  const pending: PendingEntry[] = [];
  const timeline: TimelineEntry[] = [];
  const climbed = (due.rows as DueRow[]).map((row) => climb(row, now, pending, timeline));
  await c.query(
    `UPDATE alerter_episodes e SET ladder_pos = x.pos, ladder_round = x.round,
       escalate_at = to_timestamp(x.next / 1000.0),
       escalated_at = CASE WHEN x.notified THEN coalesce(e.escalated_at, to_timestamp($2 / 1000.0))
         ELSE e.escalated_at END,
       escalation_mentions = x.mentions
     FROM jsonb_to_recordset($1::jsonb) AS x(episode_id text, pos int, round int, next bigint, notified boolean,
       mentions jsonb)
     WHERE e.episode_id = x.episode_id`,
    [JSON.stringify(climbed), now],
  );
  await insertTimeline(c, timeline);
  await insertPending(c, pending);
}

/**
 * An acknowledgement given for a time (`duration_s` / `until`) that ran out: the alert is unacknowledged again,
 * reminded at once (if its rule repeats) and climbs its ladder from the start.
 */
export async function expireAcks(c: PoolClient, now: number): Promise<void> {
  const r = await c.query(
    `UPDATE alerter_episodes e SET acked_by = NULL, acked_at = NULL, ack_note = NULL, ack_until = NULL,
       next_repeat_at = CASE WHEN e.repeat_interval_ms > 0 AND e.notified_at IS NOT NULL
         THEN to_timestamp($1 / 1000.0) END,
       escalate_at = CASE WHEN e.escalate_after_ms IS NOT NULL AND e.notified_at IS NOT NULL
         THEN to_timestamp($1 / 1000.0) END,
       ladder_pos = 0, ladder_round = 0
     FROM (SELECT episode_id, acked_by, ack_until FROM alerter_episodes
           WHERE ack_until <= to_timestamp($1 / 1000.0) AND state <> 'resolved' FOR UPDATE) old
     WHERE e.episode_id = old.episode_id
     RETURNING e.episode_id, e.state, old.acked_by, old.ack_until`,
    [now],
  );
  await insertTimeline(
    c,
    r.rows.map((row) => ({
      episode_id: row.episode_id,
      at: now,
      kind: 'ack_expired',
      detail: { by: row.acked_by, until: (row.ack_until as Date).toISOString() },
    })),
  );
}
