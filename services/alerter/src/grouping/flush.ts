// The flush: turns due pending transitions into notifications (in the outbox, same transaction). Runs under the
// alerter's lock, after a batch (for the groups it touched) and on every tick (for all groups).
import { JsonLiterals, type PoolClient, simpleQuery, sqlKeys } from '@tocsin/store';
import { type EpisodeRow, toEpisode } from '../history/episodes.ts';
import { contextLinks } from '../incidents/context.ts';
import { CONTEXT_FIRING_SQL, contextEdits, contextNow } from '../incidents/contextFlush.ts';
import { INCIDENT_MEMBERS_SQL, type IncidentIndex } from '../incidents/incidents.ts';
import type { TimelineEntry } from '../lifecycle/episodeStore.ts';
import { recordMuted } from '../maintenance/store.ts';
import { maintenanceHolds } from '../maintenance/windows.ts';
import { type OutboxRow, outboxRows } from '../outbox/outbox.ts';
import type { ActiveSilence } from '../silences/match.ts';
import { readActiveSilences } from '../silences/silenceStore.ts';
import { type FreshBatch, freshGroups, freshNeedsRows, withFresh } from './fresh.ts';
import { type FlushWrite, finalWrite, notificationsOf } from './notifications.ts';
import { planFlush, toGroup, toPending } from './plan.ts';

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

/** Flushes and writes at once (for callers that read what the flush wrote before committing). */
export async function flushGroups(c: PoolClient, opts: FlushOptions): Promise<OutboxRow[]> {
  const write = await planGroupFlush(c, opts);
  if (!write) return [];
  const r = (await simpleQuery(c, write.sql, write.json)) as { rows: Record<string, unknown>[] };
  return outboxRows(r.rows, write.list);
}

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

  const done = notificationsOf(
    {
      now,
      plan,
      episodes,
      members,
      contextFiring: context.firing,
      incidents: opts.incidents,
      manualResolve: opts.manualResolve,
    },
    remove,
    timeline,
  );
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
    done.out.push(...edits.out);
    done.timeline.push(...edits.timeline);
  }
  return finalWrite(done, plan, fresh, now, opts.outboxLeaseMs);
}
