import { type Alert, maxSeverity, type Notification, newId } from '@tocsin/events';
import { JsonLiterals, type PoolClient, simpleQuery, sqlIds, sqlKeys } from '@tocsin/store';
import { flappingAlert } from '../flap/alert.ts';
import { type EpisodeRow, toAlert, toEpisode } from '../history/episodes.ts';
import { contextLinks } from '../incidents/context.ts';
import { CONTEXT_FIRING_SQL, contextEdits, contextNow } from '../incidents/contextFlush.ts';
import { INCIDENT_MEMBERS_SQL, type IncidentIndex, incidentOf } from '../incidents/incidents.ts';
import { timelineRows } from '../lifecycle/episodeRows.ts';
import type { TimelineEntry } from '../lifecycle/episodeStore.ts';
import { recordMuted } from '../maintenance/store.ts';
import { maintenanceHolds } from '../maintenance/windows.ts';
import { type OutboxItem, type OutboxRow, outboxPayloads, outboxRows } from '../outbox/outbox.ts';
import type { ActiveSilence } from '../silences/match.ts';
import { readActiveSilences } from '../silences/silenceStore.ts';
import { type FreshBatch, freshGroups, freshNeedsRows, freshWrites, withFresh } from './fresh.ts';
import { type GroupRow, type PendingTransition, planFlush, toGroup, toPending } from './plan.ts';

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

export interface FlushOptions {
  now: number;
  /** Only these groups (after a batch); all groups when absent (timers). */
  groupKeys?: Iterable<string>;
  priorityWaitMs: number;
  outboxLeaseMs: number;
  /** The silences (the alerter caches them by version); read here when not given. */
  silences?: ActiveSilence[];
  /** The maintenance occurrences muting alerts now (maintenance/windows.ts mutingAt). */
  maintenance?: ActiveSilence[];
  /** Correlation rules: a group of one of them is notified as an incident (cause first, with its summary). */
  incidents?: IncidentIndex;
  /** Whether a rule's alerts may be resolved by hand (marked `manual_resolve`, so chats offer Resolve). */
  manualResolve?: (ruleId: string) => boolean;
}

/**
 * Turns due pending transitions into notifications (in the outbox, same transaction). Runs under the alerter's
 * lock, after a batch (for the groups it touched) and on every tick (for all groups).
 */
/**
 * What a flush writes at its end, as one statement of a simple query (its inputs are literals, marks of `json`), so the
 * caller can send it together with the state write and COMMIT: under contention, round trips are what a batch
 * waits on. Its result rows go to `outboxRows` with `list`.
 */
export interface FlushWrite {
  sql: string;
  /** The values of `sql`'s marks. */
  json: JsonLiterals;
  list: OutboxItem[];
}

/** Flushes and writes at once (for callers that read what the flush wrote before committing). */
export async function flushGroups(c: PoolClient, opts: FlushOptions): Promise<OutboxRow[]> {
  const write = await planGroupFlush(c, opts);
  if (!write) return [];
  const r = (await simpleQuery(c, write.sql, write.json)) as { rows: Record<string, unknown>[] };
  return outboxRows(r.rows, write.list);
}

const int = (v: number, what: string): string => {
  if (!Number.isSafeInteger(v)) throw new Error(`bad ${what} ${v}`);
  return String(v);
};

/** The rows a flush reads (flushReadSql): one result per statement. */
export type FlushRead = { rows: Record<string, unknown>[] }[];

/**
 * What a flush reads, as the statements of one simple query: the due entries, their groups, their episodes and the
 * rivals of those episodes' objects, and the incident members of their groups (its one input is an escaped
 * literal, so it can also follow other statements in one round trip: see AlerterCore.stageLocked's prelude).
 * `keys`: only these groups (after a batch); all groups when null (timers).
 */
export function flushReadSql(keys: readonly string[] | null, incidents: IncidentIndex | undefined): string {
  return flushReadOf(keys ? sqlKeys(keys) : null, incidents);
}

/**
 * flushReadSql for the groups an SQL array expression names (null: all groups). `fresh`: with transitions not
 * written (grouping/fresh.ts): every group named is read, and the rivals of these object keys too.
 */
export function flushReadOf(
  groups: string | null,
  incidents: IncidentIndex | undefined,
  fresh?: { objectKeys: readonly string[] },
): string {
  const contextRules = [...contextLinks(incidents).keys()];
  // (`= ANY(ARRAY(subquery))` runs the subquery once, then looks the keys up by index.)
  const only = groups ? ` WHERE group_key = ANY(${groups})` : '';
  const dueEpisodes = `ARRAY(SELECT episode_id FROM alerter_pending${only})`;
  const objects = fresh?.objectKeys.length ? ` || ${sqlKeys(fresh.objectKeys)}` : '';
  // The groups with due entries (with fresh transitions: every group named, the transitions are not rows).
  const due = fresh && groups ? groups : `ARRAY(SELECT group_key FROM alerter_pending${only})`;
  return `SELECT * FROM alerter_pending${only} ORDER BY id;
     SELECT * FROM alerter_groups WHERE group_key = ANY(${due});
     SELECT * FROM alerter_episodes WHERE episode_id = ANY(${dueEpisodes});
     SELECT episode_id, object_key, priority, started_at FROM alerter_episodes
       WHERE object_key = ANY(ARRAY(SELECT object_key FROM alerter_episodes
         WHERE episode_id = ANY(${dueEpisodes}) AND object_key IS NOT NULL)${objects})
       AND state <> 'resolved' AND suppressed_by IS NULL AND priority IS NOT NULL;
     ${INCIDENT_MEMBERS_SQL(due)}${
       // Context rules of incidents (incidents/context.ts): their announced alerts are listed in the incidents
       // they join.
       contextRules.length ? `;\n     ${CONTEXT_FIRING_SQL(contextRules)}` : ''
     }`;
}

/**
 * Reads the due transitions, plans the flush and writes what must precede the notifications (suppressions,
 * holds); returns the final write (FlushWrite), or null when there is nothing to write.
 */
export async function planGroupFlush(c: PoolClient, opts: FlushOptions): Promise<FlushWrite | null> {
  const keys = opts.groupKeys ? [...opts.groupKeys] : null;
  if (keys && keys.length === 0) return null;
  // One round trip for everything the flush reads (a multi-statement simple query).
  const results = (await c.query(flushReadSql(keys, opts.incidents))) as unknown as FlushRead;
  return planFromRead(c, opts, results);
}

/**
 * planGroupFlush with what it reads already read (flushReadSql's results, in the same transaction); `fresh`: with
 * the batch's transitions not written as pending (flushReadOf with `fresh`, grouping/fresh.ts).
 */
export async function planFromRead(
  c: PoolClient,
  opts: FlushOptions,
  results: FlushRead,
  fresh?: FreshBatch,
): Promise<FlushWrite | null> {
  const { now } = opts;
  const links = contextLinks(opts.incidents);
  const [pr, gr, er, rr, mr] = results as [
    (typeof results)[0],
    (typeof results)[0],
    (typeof results)[0],
    (typeof results)[0],
    (typeof results)[0],
  ];
  let entries = pr.rows.map(toPending);
  const groups = new Map(gr.rows.map(toGroup).map((g) => [g.group_key, g]));
  const episodes = new Map(er.rows.map((row) => [row.episode_id as string, toEpisode(row)]));
  const rivals = rr.rows.map((r) => ({
    episode_id: r.episode_id as string,
    object_key: r.object_key as string,
    priority: Number(r.priority),
    started_at: (r.started_at as Date).getTime(),
  }));
  if (fresh) entries = withFresh(fresh, entries, groups, episodes, rivals);
  if (entries.length === 0) return null;
  const silences = [...(opts.silences ?? (await readActiveSilences(c, now))), ...(opts.maintenance ?? [])];
  const plan = planFlush({
    now,
    entries,
    groups,
    episodes: new Map(
      [...episodes.values()].map((e) => [
        e.episode_id,
        {
          episode_id: e.episode_id,
          labels: e.labels,
          object_key: e.object_key,
          priority: e.priority,
          started_at: e.started_at.getTime(),
        },
      ]),
    ),
    silences,
    rivals,
    priorityWaitMs: opts.priorityWaitMs,
  });

  const members = new Map<string, EpisodeRow[]>();
  for (const row of mr.rows) {
    const ep = toEpisode(row);
    const l = members.get(ep.group_key);
    if (l) l.push(ep);
    else members.set(ep.group_key, [ep]);
  }

  const context = contextNow(
    links,
    (results[5]?.rows ?? []).map(toEpisode),
    plan.notifications.map((n) => ({
      transition: n.transition,
      eps: n.entries.map((e) => episodes.get(e.episode_id)!),
    })),
  );

  if (fresh && freshNeedsRows(fresh, plan, context.changed.length > 0)) {
    // Written as pending, and the flush reads them back (the general path).
    const json = new JsonLiterals();
    await simpleQuery(c, fresh.sql(json), json);
    return planGroupFlush(c, { ...opts, groupKeys: freshGroups(fresh) });
  }

  const timeline: TimelineEntry[] = [...(fresh?.timeline ?? [])];
  const remove: number[] = plan.drop.map((e) => e.id);
  if (plan.suppress.length) {
    await c.query(
      `UPDATE alerter_episodes e SET suppressed_by = x.by, next_repeat_at = NULL, escalate_at = NULL
       FROM jsonb_to_recordset($1::jsonb) AS x(episode_id text, by text) WHERE e.episode_id = x.episode_id`,
      [JSON.stringify(plan.suppress)],
    );
    await c.query('DELETE FROM alerter_pending WHERE episode_id = ANY($1)', [
      plan.suppress.map((s) => s.episode_id),
    ]);
    for (const s of plan.suppress)
      timeline.push({ episode_id: s.episode_id, at: now, kind: 'suppressed', detail: { by: s.by } });
  }
  if (plan.hold.length) {
    await c.query('UPDATE alerter_pending SET held = true WHERE id = ANY($1)', [
      plan.hold.map((h) => h.entry.id),
    ]);
    await recordMuted(c, maintenanceHolds(plan.hold), now);
    for (const h of plan.hold)
      timeline.push({
        episode_id: h.entry.episode_id,
        at: now,
        kind: 'silenced',
        detail: { transition: h.entry.transition, silences: h.silences },
      });
  }

  const out: OutboxItem[] = [];
  const createdAt = iso(now);
  const updates: { episode_id: string; transition: PendingTransition }[] = [];
  for (const n of plan.notifications) {
    const eps = n.entries.map((e) => episodes.get(e.episode_id)!);
    const detail = n.entries.length === 1 ? n.entries[0]!.detail : {};
    // An incident's firing lists its members already announced too: the notifier edits their message.
    const announced =
      n.transition === 'firing'
        ? (members.get(n.group.group_key) ?? []).filter(
            (m) => !eps.some((e) => e.episode_id === m.episode_id),
          )
        : [];
    // Each alert built once (an incident's list, when it is one, starts with them).
    const own = eps.map((ep) => toAlert(ep, []));
    const incident =
      n.transition === 'flapping'
        ? undefined
        : incidentOf(
            opts.incidents,
            n.group.labels,
            announced.length ? [...own, ...announced.map((ep) => toAlert(ep, []))] : own,
            now,
            n.transition === 'firing' ? context.firing : [],
          );
    const alerts: Alert[] = (
      incident?.alerts ??
      (n.transition === 'flapping' ? own.map((a, i) => flappingAlert(a, n.entries[i]!.detail)) : own)
    ).map((a) => (opts.manualResolve?.(a.rule_id) ? { ...a, manual_resolve: true } : a));
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
  if (context.changed.length) {
    // The incidents a context alert joined or left now, edited (unless notified above anyway).
    const edits = await contextEdits(c, {
      now,
      incidents: opts.incidents,
      links,
      ...context,
      notifying: new Set(
        plan.notifications.filter((n) => n.transition === 'firing').map((n) => n.group.group_key),
      ),
      ...(opts.manualResolve ? { manualResolve: opts.manualResolve } : {}),
    });
    out.push(...edits.out);
    timeline.push(...edits.timeline);
  }
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
  const at = `${int(now, 'clock value')}::bigint`;
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
         clock_timestamp() + (${int(opts.outboxLeaseMs, 'outbox lease')}::bigint * interval '1 millisecond')
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
