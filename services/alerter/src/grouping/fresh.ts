import type { JsonLiterals } from '@tocsin/store';
import { type EpisodeRow, toEpisode } from '../history/episodes.ts';
import type { Contender } from '../inhibit/priority.ts';
import { episodesRows, groupsRows, type NotifiedTimes, pendingRows } from '../lifecycle/episodeRows.ts';
import {
  groupsOf,
  insertEpisodesSql,
  type PendingEntry,
  type TimelineEntry,
  upsertGroupsSql,
} from '../lifecycle/episodeStore.ts';
import type { NewEpisode } from '../lifecycle/types.ts';
import type { FlushPlan, GroupRow, PendingRow } from './plan.ts';

/**
 * The transitions a batch adds, flushed without the round trip through `alerter_pending` (pipeline/prelude.ts): the
 * flush plans them from memory with what the database holds for their groups, and the final write stores each in its
 * final form. A transition notified now is never written as pending (nor deleted); a new episode notified now is
 * inserted notified (no UPDATE of the row just inserted), and its group with its last flush. What stays pending
 * (group_wait, group_interval, priority_wait) is written as pending. When the flush would do more with them
 * (suppress, hold for a silence, edit incidents for context alerts), they are written as the general path writes
 * them (`sql`) and the flush reads them back (see planFromRead).
 */
export interface FreshBatch {
  /** 'opening': the episodes, their groups and their timeline are not written yet; 'closing': they are. */
  kind: 'opening' | 'closing';
  entries: PendingEntry[];
  /** The episodes of `entries` as the flush would read them. */
  episodes: Map<string, EpisodeRow>;
  /** opening: the new episodes (with their groups) and their timeline, written by the final write. */
  opened: NewEpisode[];
  timeline: TimelineEntry[];
  /** The batch's writes the general way (what is not written yet, pending rows included), one statement (its
   * inputs marks of `json`). */
  sql: (json: JsonLiterals) => string;
}

function ascii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** jsonb's order of keys: shorter first (in bytes), then bytewise. */
function keyOrder(a: string, b: string): number {
  if (ascii(a) && ascii(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length - y.length || Buffer.compare(x, y);
}

/** An object (or objects in an array) with jsonb's key order, as it would read from the database. */
function jsonbOrder<T>(v: T): T {
  if (Array.isArray(v)) return v.map(jsonbOrder) as T;
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v).sort(keyOrder);
  return Object.fromEntries(keys.map((k) => [k, jsonbOrder((v as Record<string, unknown>)[k])])) as T;
}

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/** A new episode as the flush would read it back once inserted (one object of one shape: a burst makes thousands). */
function episodeRowOf(e: NewEpisode): EpisodeRow {
  return {
    episode_id: e.episode_id,
    fingerprint: e.fingerprint,
    rule_id: e.rule_id,
    mode: e.mode,
    state: e.state,
    severity: e.severity,
    source: e.source,
    chain_id: e.chain_id,
    // (The objects an alert shows, in the order jsonb gives them; the flush reads no other.)
    labels: jsonbOrder(e.labels),
    summary: e.summary,
    description: e.description,
    value: e.value,
    started_at: new Date(e.started_at),
    fired_at: date(e.fired_at),
    resolved_at: date(e.resolved_at),
    event_id: e.event_id,
    mentions: e.mentions,
    links: jsonbOrder(e.links),
    group_key: e.group_key,
    object_key: e.object_key,
    priority: e.priority,
    escalation_mentions: e.escalation_mentions,
    acked_by: null,
    acked_at: null,
    ack_note: null,
    ack_until: null,
    escalate_at: null,
    escalated_at: null,
    notified_at: null,
    repeats: 0,
    suppressed_by: null,
    retracted_at: null,
    retract_reason: null,
  };
}

export function openingFresh(
  opened: NewEpisode[],
  timeline: TimelineEntry[],
  entries: PendingEntry[],
  sql: (json: JsonLiterals) => string,
): FreshBatch {
  return {
    kind: 'opening',
    entries,
    episodes: new Map(opened.map((e) => [e.episode_id, episodeRowOf(e)])),
    opened,
    timeline,
    sql,
  };
}

/** The resolutions to notify among the episodes a batch closed (closeSql(…, true)'s rows). */
export function closingFresh(rows: Record<string, unknown>[], now: number): FreshBatch {
  const entries: PendingEntry[] = [];
  const episodes = new Map<string, EpisodeRow>();
  for (const row of rows) {
    if (row.kind === 'clear' || !row.notified_at || !row.send_resolved || row.suppressed_by) continue;
    const ep = toEpisode(row);
    episodes.set(ep.episode_id, ep);
    entries.push({
      group_key: ep.group_key,
      episode_id: ep.episode_id,
      transition: 'resolved',
      created_at: now,
    });
  }
  return {
    kind: 'closing',
    entries,
    episodes,
    opened: [],
    timeline: [],
    sql: (json) => pendingSql(entries, json),
  };
}

function pendingSql(entries: PendingEntry[], json: JsonLiterals): string {
  return `INSERT INTO alerter_pending (group_key, episode_id, transition, created_at, detail)
       SELECT x.group_key, x.episode_id, x.transition, x.created_at, coalesce(x.detail, '{}')
       FROM ${pendingRows(json, entries)}`;
}

/** The groups the fresh transitions touch. */
export const freshGroups = (fresh: FreshBatch): string[] => [
  ...new Set(fresh.entries.map((e) => e.group_key)),
];

/**
 * The flush's inputs with the fresh transitions (ids below zero: they are not rows), after those read for their
 * groups; the groups as the batch's upsert leaves them; the new episodes among the rivals.
 */
export function withFresh(
  fresh: FreshBatch,
  read: PendingRow[],
  groups: Map<string, GroupRow>,
  episodes: Map<string, EpisodeRow>,
  rivals: Contender[],
): PendingRow[] {
  const touched = new Set(fresh.entries.map((e) => e.group_key));
  for (const g of groupsOf(fresh.opened)) {
    const was = groups.get(g.group_key);
    groups.set(g.group_key, {
      group_key: g.group_key,
      source: was?.source ?? g.source,
      labels: was?.labels ?? jsonbOrder(g.group_labels),
      group_wait_ms: g.group_wait_ms,
      group_interval_ms: g.group_interval_ms,
      last_flush_at: was?.last_flush_at ?? null,
    });
  }
  for (const [id, ep] of fresh.episodes) episodes.set(id, ep);
  for (const e of fresh.opened)
    if (e.object_key !== null && e.priority !== null)
      rivals.push({
        episode_id: e.episode_id,
        object_key: e.object_key,
        priority: e.priority,
        started_at: e.started_at,
      });
  return [
    ...read.filter((e) => touched.has(e.group_key)),
    ...fresh.entries.map((e, i) => ({
      id: -(i + 1),
      group_key: e.group_key,
      episode_id: e.episode_id,
      transition: e.transition,
      created_at: e.created_at,
      held: false,
      detail: e.detail ?? {},
    })),
  ];
}

/** Whether the flush does more with the fresh transitions than notify them or leave them pending. */
export function freshNeedsRows(fresh: FreshBatch, plan: FlushPlan, contextChanged: boolean): boolean {
  if (fresh.kind === 'opening' && contextChanged) return true;
  return (
    plan.hold.some((h) => h.entry.id < 0) ||
    plan.drop.some((e) => e.id < 0) ||
    plan.suppress.some((s) => fresh.episodes.has(s.episode_id))
  );
}

/**
 * The fresh transitions' part of the final write (CTEs), given the transitions the flush notified (`sent`, by
 * fresh id) and the groups it flushed: the new episodes (notified ones with their repeat and escalation times), their
 * groups (with their last flush), their timeline, and the transitions left pending. `episodes`, `groups`: those this
 * part writes in full (the flush's UPDATEs leave them out). Their inputs are marks of `json`.
 */
export function freshWrites(
  fresh: FreshBatch,
  sent: Map<number, string>,
  flushed: readonly string[],
  now: number,
  json: JsonLiterals,
): { ctes: string[]; episodes: Set<string>; groups: Set<string> } {
  const waiting = fresh.entries.filter((_, i) => !sent.has(-(i + 1)));
  const ctes = waiting.length ? [`fresh_pending AS (${pendingSql(waiting, json)})`] : [];
  if (fresh.kind === 'closing') return { ctes, episodes: new Set(), groups: new Set() };
  const notified = new Map<string, string>();
  fresh.entries.forEach((e, i) => {
    const t = sent.get(-(i + 1));
    if (t) notified.set(e.episode_id, t);
  });
  const done = new Set(flushed);
  const groups = groupsOf(fresh.opened).map((g) => ({
    ...g,
    last_flush_at: done.has(g.group_key) ? now : null,
  }));
  ctes.push(
    `fresh_grouped AS (${upsertGroupsSql(groupsRows(json, groups))})`,
    `fresh_opened AS (${insertEpisodesSql(episodesRows(json, fresh.opened, notifiedTimes(notified, now)))})`,
  );
  return {
    ctes,
    episodes: new Set(fresh.opened.map((e) => e.episode_id)),
    groups: new Set(groups.map((g) => g.group_key)),
  };
}

/**
 * The times of the new episodes notified now (their columns of the final write): one notified firing now has its
 * notified_at, next_repeat_at and escalate_at as the flush's UPDATE sets them after a firing notification (a new
 * episode is neither acked nor escalated).
 */
function notifiedTimes(notified: Map<string, string>, now: number): (e: NewEpisode) => NotifiedTimes | null {
  return (e) => {
    if (notified.get(e.episode_id) !== 'firing') return null;
    const firing = e.state === 'firing';
    return {
      notified_at: now,
      next_repeat_at: firing && e.repeat_interval_ms > 0 ? now + e.repeat_interval_ms : null,
      escalate_at: firing && e.escalate_after_ms !== null ? now + e.escalate_after_ms : null,
    };
  };
}
