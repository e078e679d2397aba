import type { PoolClient } from '@tocsin/store';
import type { FlapEffect } from '../flap/flap.ts';
import { writeFlaps } from '../flap/store.ts';
import type { PendingTransition } from '../grouping/plan.ts';
import { closesJson, episodesJson, groupsJson, pendingJson, timelineJson } from './episodeRows.ts';
import type { Effect, NewEpisode } from './types.ts';

/** A transition waiting for its group to be flushed into a notification. */
export interface PendingEntry {
  group_key: string;
  episode_id: string;
  transition: PendingTransition;
  created_at: number;
  detail?: Record<string, unknown>;
}

export interface TimelineEntry {
  episode_id: string;
  at: number;
  kind: string;
  detail?: Record<string, unknown>;
}

export async function insertTimeline(c: PoolClient, entries: TimelineEntry[]): Promise<void> {
  if (!entries.length) return;
  await c.query(
    `INSERT INTO alerter_timeline (episode_id, at, kind, detail)
     SELECT x.episode_id, to_timestamp(x.at / 1000.0), x.kind, coalesce(x.detail, '{}')
     FROM jsonb_to_recordset($1::jsonb) AS x(episode_id text, at bigint, kind text, detail jsonb)`,
    [JSON.stringify(entries)],
  );
}

export async function insertPending(c: PoolClient, entries: PendingEntry[]): Promise<void> {
  if (!entries.length) return;
  await c.query(
    `INSERT INTO alerter_pending (group_key, episode_id, transition, created_at, detail)
     SELECT x.group_key, x.episode_id, x.transition, x.created_at, coalesce(x.detail, '{}')
     FROM jsonb_to_recordset($1::jsonb) AS x(group_key text, episode_id text, transition text, created_at bigint,
       detail jsonb)`,
    [JSON.stringify(entries)],
  );
}

/**
 * The upsert of new episodes' groups, from `x` (episodeRows.ts groupsJson or groupsRows: groupsOf, optionally with
 * last_flush_at; absent, a group's is kept).
 */
export function upsertGroupsSql(from: string): string {
  return `INSERT INTO alerter_groups (group_key, source, labels, group_wait_ms, group_interval_ms, last_flush_at)
       SELECT x.group_key, x.source, x.group_labels, x.group_wait_ms, x.group_interval_ms, x.last_flush_at
       FROM ${from}
       ON CONFLICT (group_key) DO UPDATE SET group_wait_ms = EXCLUDED.group_wait_ms,
         group_interval_ms = EXCLUDED.group_interval_ms,
         last_flush_at = coalesce(EXCLUDED.last_flush_at, alerter_groups.last_flush_at)`;
}

/**
 * The INSERT of new episodes, from `x` (episodeRows.ts episodesJson or episodesRows). An episode notified in the
 * same transaction (grouping/fresh.ts) carries its notified_at, next_repeat_at and escalate_at (ms); absent, they
 * are null.
 */
export function insertEpisodesSql(from: string): string {
  return `INSERT INTO alerter_episodes (episode_id, fingerprint, rule_id, mode, state, severity, source, chain_id, labels,
       summary, description, value, started_at, fired_at, resolved_at, event_id, mentions, links, group_key,
       object_key, priority, send_resolved, repeat_interval_ms, escalate_after_ms, escalation_mentions, escalation_ladder,
       notified_at, next_repeat_at, escalate_at)
     SELECT x.episode_id, x.fingerprint, x.rule_id, x.mode, x.state, x.severity, x.source, x.chain_id, x.labels,
       x.summary, x.description, x.value, to_timestamp(x.started_at / 1000.0), to_timestamp(x.fired_at / 1000.0),
       to_timestamp(x.resolved_at / 1000.0), x.event_id, x.mentions, x.links, x.group_key, x.object_key,
       x.priority, x.send_resolved, x.repeat_interval_ms, x.escalate_after_ms, x.escalation_mentions, x.escalation_ladder,
       to_timestamp(x.notified_at / 1000.0), to_timestamp(x.next_repeat_at / 1000.0), to_timestamp(x.escalate_at / 1000.0)
     FROM ${from}`;
}

/** The statements that insert new episodes and their groups (FROM items: episodeRows.ts), as the CTEs `grouped` and
 * `opened`. */
export function episodesCtes(episodes: string, groups: string): string {
  return `grouped AS (${upsertGroupsSql(groups)}),
     opened AS (${insertEpisodesSql(episodes)})`;
}

/** The statements that insert timeline entries and pending transitions (FROM items: episodeRows.ts). */
export function saidAndPending(timeline: string, pending: string): string {
  return `said AS (
         INSERT INTO alerter_timeline (episode_id, at, kind, detail)
         SELECT x.episode_id, to_timestamp(x.at / 1000.0), x.kind, coalesce(x.detail, '{}')
         FROM ${timeline})
       INSERT INTO alerter_pending (group_key, episode_id, transition, created_at, detail)
       SELECT x.group_key, x.episode_id, x.transition, x.created_at, coalesce(x.detail, '{}')
       FROM ${pending}`;
}

/**
 * Resolves or clears episodes (`x`: the resolve and clear effects, episodeRows.ts closesJson or closesRows);
 * returns what decides their timeline and whether their resolution is notified (see applyLifecycle, and
 * pipeline/prelude.ts closingPrelude); `whole`: the episodes' rows as they are now (what the flush would read back).
 */
export function closeSql(from: string, whole = false): string {
  return `UPDATE alerter_episodes e SET state = 'resolved', resolved_at = to_timestamp(x.at / 1000.0),
         value = coalesce(x.value, e.value), event_id = coalesce(x.event_id, e.event_id),
         next_repeat_at = NULL, escalate_at = NULL
       FROM ${from}
       WHERE e.episode_id = x.episode_id AND e.state <> 'resolved'
       RETURNING ${whole ? 'e.*' : 'e.episode_id, e.group_key, e.notified_at, e.send_resolved, e.suppressed_by'}, x.at,
         x.kind, x.reason`;
}

/** What was waiting to be said about closed episodes ($ids) and is moot now (a firing never sent stays unsent). */
export function mootPendingSql(ids: string): string {
  return `DELETE FROM alerter_pending WHERE episode_id = ANY(${ids}) AND transition IN ('firing', 'repeat', 'escalated')`;
}

/** The groups of new episodes: only the group's own fields (not the whole episode again). */
export function groupsOf(
  eps: NewEpisode[],
): Pick<NewEpisode, 'group_key' | 'source' | 'group_labels' | 'group_wait_ms' | 'group_interval_ms'>[] {
  const groups = new Map<string, ReturnType<typeof groupsOf>[number]>();
  for (const e of eps)
    if (!groups.has(e.group_key))
      groups.set(e.group_key, {
        group_key: e.group_key,
        source: e.source,
        group_labels: e.group_labels,
        group_wait_ms: e.group_wait_ms,
        group_interval_ms: e.group_interval_ms,
      });
  return [...groups.values()];
}

async function insertEpisodes(c: PoolClient, eps: NewEpisode[]): Promise<void> {
  if (!eps.length) return;
  await c.query(`WITH ${episodesCtes(episodesJson('$1'), groupsJson('$2'))} SELECT 1`, [
    JSON.stringify(eps),
    JSON.stringify(groupsOf(eps)),
  ]);
}

/**
 * Writes the effects of a decision: episodes, their timeline, and the transitions that will be notified (the
 * grouping stage decides when). Returns the groups that received new transitions.
 */
export async function applyEffects(c: PoolClient, effects: Effect[], now: number): Promise<Set<string>> {
  const flaps = effects.filter((e): e is FlapEffect => e.kind === 'flap');
  if (!flaps.length) return applyLifecycle(c, effects, now, new Set());
  // Flap suppression: what the flapping alerts did is recorded, not notified; their card's message is edited.
  const held = new Set(flaps.flatMap((f) => f.held ?? []));
  const touched = await applyLifecycle(
    c,
    effects.filter((e) => e.kind !== 'flap'),
    now,
    held,
  );
  for (const g of await writeFlaps(c, flaps, now)) touched.add(g);
  return touched;
}

/** An opened episode (or a notice): the episode, its timeline entry and, when it fires, its transition. */
export function opening(
  e: Extract<Effect, { kind: 'open' | 'notice' }>,
  now: number,
  opened: NewEpisode[],
  timeline: TimelineEntry[],
  pending: PendingEntry[],
): void {
  opened.push(e.episode);
  const ep = e.episode;
  if (e.kind === 'notice') {
    timeline.push({
      episode_id: ep.episode_id,
      at: ep.started_at,
      kind: 'notice',
      detail: { event_id: ep.event_id, ...(e.previous !== undefined ? { previous: e.previous } : {}) },
    });
    pending.push({
      group_key: ep.group_key,
      episode_id: ep.episode_id,
      transition: 'notice',
      created_at: now,
    });
    return;
  }
  timeline.push({
    episode_id: ep.episode_id,
    at: ep.started_at,
    kind: ep.state,
    detail: { event_id: ep.event_id },
  });
  if (ep.state === 'firing')
    pending.push({
      group_key: ep.group_key,
      episode_id: ep.episode_id,
      transition: 'firing',
      created_at: now,
    });
}

async function applyLifecycle(
  c: PoolClient,
  effects: Effect[],
  now: number,
  held: Set<string>,
): Promise<Set<string>> {
  const timeline: TimelineEntry[] = [];
  const pending: PendingEntry[] = [];
  const opened: NewEpisode[] = [];
  const fires: Extract<Effect, { kind: 'fire' }>[] = [];
  const closes: (Extract<Effect, { kind: 'resolve' }> | Extract<Effect, { kind: 'clear' }>)[] = [];
  const steps: Extract<Effect, { kind: 'step' }>[] = [];
  const retracts: Extract<Effect, { kind: 'retract' }>[] = [];

  for (const e of effects) {
    if (e.kind === 'open' || e.kind === 'notice') {
      opening(e, now, opened, timeline, pending);
    } else if (e.kind === 'flap') continue;
    else if (e.kind === 'fire') fires.push(e);
    else if (e.kind === 'step') steps.push(e);
    else if (e.kind === 'retract') retracts.push(e);
    else closes.push(e);
  }
  const unheld = () => {
    for (let i = pending.length - 1; i >= 0; i--)
      if (held.has(pending[i]!.episode_id) && pending[i]!.transition !== 'notice') pending.splice(i, 1);
  };
  if (!fires.length && !steps.length && !closes.length && !retracts.length) {
    unheld();
    // Only new episodes (the common case): one statement for the episodes, their timeline and transitions.
    if (opened.length)
      await c.query(
        `WITH ${episodesCtes(episodesJson('$1'), groupsJson('$2'))}, ${saidAndPending(timelineJson('$3'), pendingJson('$4'))}`,
        [
          JSON.stringify(opened),
          JSON.stringify(groupsOf(opened)),
          JSON.stringify(timeline),
          JSON.stringify(pending),
        ],
      );
    return new Set(pending.map((p) => p.group_key));
  }
  await insertEpisodes(c, opened);

  if (fires.length) {
    const r = await c.query(
      `UPDATE alerter_episodes e SET state = 'firing', fired_at = to_timestamp(x.at / 1000.0),
         value = coalesce(x.value, e.value), event_id = coalesce(x.event_id, e.event_id)
       FROM jsonb_to_recordset($1::jsonb) AS x(episode_id text, at bigint, value float8, event_id text)
       WHERE e.episode_id = x.episode_id AND e.state = 'pending'
       RETURNING e.episode_id, e.group_key, x.at`,
      [JSON.stringify(fires)],
    );
    for (const row of r.rows) {
      timeline.push({ episode_id: row.episode_id, at: Number(row.at), kind: 'firing' });
      pending.push({
        group_key: row.group_key,
        episode_id: row.episode_id,
        transition: 'firing',
        created_at: now,
      });
    }
  }

  for (const s of steps) {
    const r = await c.query(
      `UPDATE alerter_episodes SET value = $2, event_id = coalesce($3, event_id)
       WHERE episode_id = $1 RETURNING group_key, notified_at, suppressed_by`,
      [s.episode_id, s.value, s.event_id],
    );
    const row = r.rows[0];
    if (!row) continue;
    timeline.push({
      episode_id: s.episode_id,
      at: s.at,
      kind: 'step',
      detail: { value: s.value, step: s.step },
    });
    // Before the firing notification went out, the step is already in it (the value was updated).
    if (row.notified_at && !row.suppressed_by)
      pending.push({
        group_key: row.group_key,
        episode_id: s.episode_id,
        transition: 'repeat',
        created_at: now,
        detail: { step: s.step, value: s.value },
      });
  }

  if (closes.length) {
    const r = await c.query(closeSql(closesJson('$1')), [JSON.stringify(closes)]);
    const closed = r.rows.map((row) => row.episode_id as string);
    if (closed.length) {
      // Including what this same batch queued for them (an episode can open and close within one batch).
      const gone = new Set(closed);
      for (let i = pending.length - 1; i >= 0; i--) {
        const p = pending[i]!;
        if (gone.has(p.episode_id) && p.transition !== 'notice') pending.splice(i, 1);
      }
      // What was waiting to be said about these episodes is moot now (a firing never sent stays unsent).
      await c.query(mootPendingSql('$1'), [closed]);
    }
    for (const row of r.rows) {
      const cleared = row.kind === 'clear';
      timeline.push({
        episode_id: row.episode_id,
        at: Number(row.at),
        kind: cleared ? 'cleared' : 'resolved',
        detail: { reason: row.reason ?? 'condition cleared' },
      });
      if (!cleared && row.notified_at && row.send_resolved && !row.suppressed_by)
        pending.push({
          group_key: row.group_key,
          episode_id: row.episode_id,
          transition: 'resolved',
          created_at: now,
        });
    }
  }

  if (retracts.length) await retract(c, retracts, now, timeline, pending);
  unheld();

  if (timeline.length || pending.length)
    await c.query(`WITH ${saidAndPending(timelineJson('$1'), pendingJson('$2'))}`, [
      JSON.stringify(timeline),
      JSON.stringify(pending),
    ]);
  return new Set(pending.map((p) => p.group_key));
}

/**
 * Withdrawn facts: each episode ends as retracted (once). What was waiting to be said about it is dropped (a
 * firing never sent stays unsent); where the firing was sent, a `retracted` transition makes chats edit it.
 */
async function retract(
  c: PoolClient,
  retracts: Extract<Effect, { kind: 'retract' }>[],
  now: number,
  timeline: TimelineEntry[],
  pending: PendingEntry[],
): Promise<void> {
  const r = await c.query(
    `UPDATE alerter_episodes e SET state = 'resolved',
       resolved_at = coalesce(e.resolved_at, to_timestamp(x.at / 1000.0)),
       retracted_at = to_timestamp(x.at / 1000.0), retract_reason = x.reason,
       event_id = coalesce(x.event_id, e.event_id), next_repeat_at = NULL, escalate_at = NULL
     FROM (SELECT DISTINCT ON (episode_id) * FROM jsonb_to_recordset($1::jsonb)
       AS y(episode_id text, at bigint, event_id text, reason text) ORDER BY episode_id, at) x
     WHERE e.episode_id = x.episode_id AND e.retracted_at IS NULL
     RETURNING e.episode_id, e.group_key, e.notified_at, e.suppressed_by, x.at, x.reason`,
    [JSON.stringify(retracts)],
  );
  if (!r.rows.length) return;
  const gone = new Set(r.rows.map((row) => row.episode_id as string));
  for (let i = pending.length - 1; i >= 0; i--) if (gone.has(pending[i]!.episode_id)) pending.splice(i, 1);
  await c.query(`DELETE FROM alerter_pending WHERE episode_id = ANY($1)`, [[...gone]]);
  for (const row of r.rows) {
    timeline.push({
      episode_id: row.episode_id,
      at: Number(row.at),
      kind: 'retracted',
      detail: { reason: row.reason },
    });
    if (row.notified_at && !row.suppressed_by)
      pending.push({
        group_key: row.group_key,
        episode_id: row.episode_id,
        transition: 'retracted',
        created_at: now,
      });
  }
}
