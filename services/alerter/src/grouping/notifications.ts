import { type Alert, maxSeverity, type Notification, newId } from '@tocsin/events';
import { JsonLiterals, sqlIds, sqlInt, sqlKeys } from '@tocsin/store';
import { flappingAlert } from '../flap/alert.ts';
import { type EpisodeRow, toAlert } from '../history/episodes.ts';
import { type IncidentIndex, incidentOf } from '../incidents/incidents.ts';
import { timelineRows } from '../lifecycle/episodeRows.ts';
import type { TimelineEntry } from '../lifecycle/episodeStore.ts';
import { type OutboxItem, outboxPayloads } from '../outbox/outbox.ts';
import { type FreshBatch, freshWrites } from './fresh.ts';
import type { FlushPlan, GroupRow, PendingTransition } from './plan.ts';

/**
 * The flush's last two steps, after its plan (grouping/flush.ts planFromRead): the notifications it sends, then its
 * final write. Both synchronous, and kept out of planFromRead: as one function of several kilobytes of bytecode, its
 * every re-optimization cost V8 ~300 ms of compiling, several times in a burst.
 */

const iso = (ms: number) => new Date(ms).toISOString();

function notificationKey(
  group: GroupRow,
  transition: PendingTransition,
  eps: EpisodeRow[],
  now: number,
  detail: Record<string, unknown> = {},
): string {
  if (eps.length === 1) {
    const ep = eps[0]!;
    // A flapping card is edited many times: each edit is a notification of its own.
    if (transition === 'flapping') return `${ep.episode_id}:flapping:${newId(now)}`;
    if (transition === 'repeat') return `${ep.episode_id}:repeat:${ep.repeats + 1}`;
    // Each step of a ladder, and an acknowledgement after an earlier one ran out, is a notification of its own.
    if (transition === 'escalated' && typeof detail.step === 'number')
      return `${ep.episode_id}:escalated:${Number(detail.round ?? 0)}.${detail.step}`;
    if (transition === 'acknowledged' && typeof detail.ack === 'number' && detail.ack > 1)
      return `${ep.episode_id}:acknowledged:${detail.ack}`;
    return `${ep.episode_id}:${transition}`;
  }
  return `${group.group_key}:${transition}:${newId(now)}`;
}

export interface NotifyInput {
  now: number;
  plan: FlushPlan;
  episodes: ReadonlyMap<string, EpisodeRow>;
  /** The open members of the groups, by group key (an incident's firing lists those announced already). */
  members: ReadonlyMap<string, EpisodeRow[]>;
  /** The context alerts firing (incidents/contextFlush.ts contextNow). */
  contextFiring: Alert[];
  incidents?: IncidentIndex | undefined;
  manualResolve?: ((ruleId: string) => boolean) | undefined;
}

/** What the flush writes besides its notifications. */
export interface NotifyOutcome {
  out: OutboxItem[];
  /** Pending entries done (ids below zero: fresh transitions, never written). */
  remove: number[];
  /** Episodes notified, with the transition. */
  updates: { episode_id: string; transition: PendingTransition }[];
  timeline: TimelineEntry[];
}

/** The plan's notifications, each with its payload and key; `remove`, `timeline`: appended to. */
export function notificationsOf(i: NotifyInput, remove: number[], timeline: TimelineEntry[]): NotifyOutcome {
  const { now, episodes } = i;
  const out: OutboxItem[] = [];
  const createdAt = iso(now);
  const updates: NotifyOutcome['updates'] = [];
  for (const n of i.plan.notifications) {
    const eps = n.entries.map((e) => episodes.get(e.episode_id)!);
    const detail = n.entries.length === 1 ? n.entries[0]!.detail : {};
    // An incident's firing lists its members already announced too: the notifier edits their message.
    const announced =
      n.transition === 'firing'
        ? (i.members.get(n.group.group_key) ?? []).filter(
            (m) => !eps.some((e) => e.episode_id === m.episode_id),
          )
        : [];
    // Each alert built once (an incident's list, when it is one, starts with them).
    const own = eps.map((ep) => toAlert(ep, []));
    const incident =
      n.transition === 'flapping'
        ? undefined
        : incidentOf(
            i.incidents,
            n.group.labels,
            announced.length ? [...own, ...announced.map((ep) => toAlert(ep, []))] : own,
            now,
            n.transition === 'firing' ? i.contextFiring : [],
          );
    const alerts: Alert[] = (
      incident?.alerts ??
      (n.transition === 'flapping' ? own.map((a, k) => flappingAlert(a, n.entries[k]!.detail)) : own)
    ).map((a) => (i.manualResolve?.(a.rule_id) ? { ...a, manual_resolve: true } : a));
    const key = notificationKey(n.group, n.transition, eps, now, detail);
    // An escalation step tags its own owners (and the rule's), not those of the steps before it.
    const mentions = new Set(
      Array.isArray(detail.mentions)
        ? [...eps[0]!.mentions, ...(detail.mentions as string[])]
        : alerts.flatMap((a) => a.mentions),
    );
    // An escalation step sent `notify_by` some notifiers is for them only.
    const notifiers = Array.isArray(detail.notifiers) ? (detail.notifiers as string[]) : [];
    const payload: Notification = {
      id: newId(now),
      version: 1,
      key,
      transition: n.transition,
      severity: maxSeverity(alerts.map((a) => a.severity)),
      source: n.group.source,
      group: { key: n.group.group_key, labels: n.group.labels },
      alerts,
      mentions: [...mentions],
      ...(notifiers.length ? { notifiers } : {}),
      ...(incident ? { incident: incident.incident } : {}),
      created_at: createdAt,
    };
    out.push({ key, payload });
    for (const e of n.entries) {
      remove.push(e.id);
      updates.push({ episode_id: e.episode_id, transition: n.transition });
      timeline.push({
        episode_id: e.episode_id,
        at: now,
        kind: 'notified',
        detail: { transition: n.transition, key, ...(Object.keys(e.detail).length ? e.detail : {}) },
      });
    }
  }
  return { out, remove, updates, timeline };
}

/**
 * What a flush writes at its end, as one statement (its inputs marks of `json`: parameters when it goes with the state
 * write and COMMIT through extendedQuery, as a batch's does, literals when flushGroups sends it alone), so the caller
 * can send it together with the state write and COMMIT: under contention, round trips are what a batch waits on. Its
 * result rows go to `outboxRows` with `list`.
 */
export interface FlushWrite {
  sql: string;
  /** The values of `sql`'s marks. */
  json: JsonLiterals;
  list: OutboxItem[];
}

/** The final write of a flush (null: nothing to write); `fresh`: the batch's transitions not written as pending. */
export function finalWrite(
  done: NotifyOutcome,
  plan: FlushPlan,
  fresh: FreshBatch | undefined,
  now: number,
  outboxLeaseMs: number,
): FlushWrite | null {
  const { out, remove, updates, timeline } = done;
  // The fresh transitions are no rows (ids below zero): those notified are not written, the others are.
  const sent = new Map<number, string>();
  for (const n of plan.notifications) for (const e of n.entries) if (e.id < 0) sent.set(e.id, n.transition);
  const json = new JsonLiterals();
  const own = fresh
    ? freshWrites(fresh, sent, plan.flushed, now, json)
    : { ctes: [], episodes: new Set<string>(), groups: new Set<string>() };
  const rows = remove.filter((id) => id >= 0);
  // Only a firing or a repeat changes the episode (a resolution's UPDATE would write a copy of the row unchanged).
  const changed = updates.filter(
    (u) => (u.transition === 'firing' || u.transition === 'repeat') && !own.episodes.has(u.episode_id),
  );
  const flushedGroups = plan.flushed.filter((k) => !own.groups.has(k));
  if (
    !rows.length &&
    !changed.length &&
    !flushedGroups.length &&
    !timeline.length &&
    !out.length &&
    !own.ctes.length
  )
    return null;
  const lit = (v: unknown) => json.lit(v);
  const ids = sqlIds(rows, 'pending id');
  const flushed = sqlKeys(flushedGroups);
  const at = `${sqlInt(now, 'clock value')}::bigint`;
  const sql = `WITH ${own.ctes
    .map(
      (c) => `${c},
     `,
    )
    .join('')}done AS (DELETE FROM alerter_pending WHERE id = ANY(${ids})),
     sent AS (
       -- After a firing/repeat notification: when to repeat and when to escalate (unless acknowledged).
       UPDATE alerter_episodes e SET
         notified_at = CASE WHEN x.transition = 'firing' THEN to_timestamp(${at} / 1000.0) ELSE e.notified_at END,
         next_repeat_at = CASE WHEN x.transition IN ('firing', 'repeat') AND e.state = 'firing'
             AND e.acked_at IS NULL AND e.repeat_interval_ms > 0
           THEN to_timestamp((${at} + e.repeat_interval_ms) / 1000.0) ELSE e.next_repeat_at END,
         escalate_at = CASE WHEN x.transition = 'firing' AND e.state = 'firing' AND e.acked_at IS NULL
             AND e.escalated_at IS NULL AND e.escalate_after_ms IS NOT NULL
           THEN to_timestamp((${at} + e.escalate_after_ms) / 1000.0) ELSE e.escalate_at END,
         repeats = e.repeats + CASE WHEN x.transition = 'repeat' THEN 1 ELSE 0 END
       FROM jsonb_to_recordset(${lit(changed)}::jsonb) AS x(episode_id text, transition text)
       WHERE e.episode_id = x.episode_id),
     flushed AS (UPDATE alerter_groups SET last_flush_at = ${at} WHERE group_key = ANY(${flushed})),
     said AS (
       INSERT INTO alerter_timeline (episode_id, at, kind, detail)
       SELECT x.episode_id, to_timestamp(x.at / 1000.0), x.kind, coalesce(x.detail, '{}')
       FROM ${timelineRows(json, timeline)}),
     queued AS (
       INSERT INTO alerter_outbox (key, payload, lease_until)
       SELECT x.key, x.payload,
         -- From the commit, not from when the transaction began (it may have waited long for the lock).
         clock_timestamp() + (${sqlInt(outboxLeaseMs, 'outbox lease')}::bigint * interval '1 millisecond')
       -- json, not jsonb: the payloads are stored as they are (migrations/1797200000051_outbox_json.sql). The keys
       -- as an array and the payloads as one JSON list of their texts, each written as it is and checked once as the
       -- list is read (a list of objects was parsed twice over, then each payload; a json[] literal escaped each).
       FROM ROWS FROM (unnest(${json.strings(() => out.map((o) => o.key))}::text[]),
         json_array_elements(${json.jsonList(() => outboxPayloads(out))}::json)) WITH ORDINALITY AS x(key, payload, ord)
       ORDER BY x.ord
       ON CONFLICT (key) DO NOTHING
       RETURNING seq, key)
     SELECT seq, key FROM queued`;
  return { sql, json, list: out };
}
