import { type Column, type JsonLiterals, unnestRows } from '@tocsin/store';
import type { PendingEntry, TimelineEntry } from './episodeStore.ts';
import type { Effect, NewEpisode } from './types.ts';

/**
 * The FROM items the batch's INSERTs read their rows from (`x`): one JSON list (a `$n` parameter or a mark, read by
 * json(b)_to_recordset), or, for the hot path's simple queries, one array literal per column (unnestRows), which
 * the server reads with each type's input function and nothing more: round 5's profile had 28 % of the alerter's
 * PostgreSQL time turning JSON literals into rows.
 */

/** When a new episode notified in the same transaction (grouping/fresh.ts) is notified and repeats or escalates. */
export interface NotifiedTimes {
  notified_at: number;
  next_repeat_at: number | null;
  escalate_at: number | null;
}

type Times = (e: NewEpisode) => NotifiedTimes | null;

function episodeColumns(times: Times): Column<NewEpisode>[] {
  return [
    ['episode_id', 'text', (e) => e.episode_id],
    ['fingerprint', 'text', (e) => e.fingerprint],
    ['rule_id', 'text', (e) => e.rule_id],
    ['mode', 'text', (e) => e.mode],
    ['state', 'text', (e) => e.state],
    ['severity', 'text', (e) => e.severity],
    ['source', 'text', (e) => e.source],
    ['chain_id', 'text', (e) => e.chain_id],
    ['labels', 'jsonb', (e) => e.labels],
    ['summary', 'text', (e) => e.summary],
    ['description', 'text', (e) => e.description],
    ['value', 'float8', (e) => e.value],
    ['started_at', 'bigint', (e) => e.started_at],
    ['fired_at', 'bigint', (e) => e.fired_at],
    ['resolved_at', 'bigint', (e) => e.resolved_at],
    ['event_id', 'text', (e) => e.event_id],
    ['mentions', 'jsonb', (e) => e.mentions],
    ['links', 'jsonb', (e) => e.links],
    ['group_key', 'text', (e) => e.group_key],
    ['object_key', 'text', (e) => e.object_key],
    ['priority', 'int', (e) => e.priority],
    ['send_resolved', 'boolean', (e) => e.send_resolved],
    ['repeat_interval_ms', 'bigint', (e) => e.repeat_interval_ms],
    ['escalate_after_ms', 'bigint', (e) => e.escalate_after_ms],
    ['escalation_mentions', 'jsonb', (e) => e.escalation_mentions],
    ['escalation_ladder', 'jsonb', (e) => e.escalation_ladder],
    ['notified_at', 'bigint', (e) => times(e)?.notified_at],
    ['next_repeat_at', 'bigint', (e) => times(e)?.next_repeat_at],
    ['escalate_at', 'bigint', (e) => times(e)?.escalate_at],
  ];
}

const none: Times = () => null;

const recordset = <T>(fn: string, input: string, columns: Column<T>[]) =>
  `${fn}(${input}) AS x(${columns.map(([name, type]) => `${name} ${type}`).join(', ')})`;

/**
 * New episodes from a JSON list ($e: NewEpisode rows, each notified one with its NotifiedTimes' fields). Read as
 * json, not jsonb: only the fields typed jsonb are parsed into jsonb, not the whole list.
 */
export const episodesJson = (e: string): string =>
  recordset('json_to_recordset', `${e}::json`, episodeColumns(none));

/** New episodes as column arrays; `times`, for those notified in the same transaction. */
export const episodesRows = (json: JsonLiterals, eps: readonly NewEpisode[], times: Times = none): string =>
  unnestRows(json, eps, episodeColumns(times));

/** A new episode's group: its own fields, and its last flush when flushed in the same transaction. */
export interface GroupInsert {
  group_key: string;
  source: string;
  group_labels: Record<string, string>;
  group_wait_ms: number;
  group_interval_ms: number;
  last_flush_at?: number | null;
}

const GROUP_COLUMNS: Column<GroupInsert>[] = [
  ['group_key', 'text', (g) => g.group_key],
  ['source', 'text', (g) => g.source],
  ['group_labels', 'jsonb', (g) => g.group_labels],
  ['group_wait_ms', 'bigint', (g) => g.group_wait_ms],
  ['group_interval_ms', 'bigint', (g) => g.group_interval_ms],
  ['last_flush_at', 'bigint', (g) => g.last_flush_at],
];

export const groupsJson = (g: string): string =>
  recordset('jsonb_to_recordset', `${g}::jsonb`, GROUP_COLUMNS);
export const groupsRows = (json: JsonLiterals, groups: readonly GroupInsert[]): string =>
  unnestRows(json, groups, GROUP_COLUMNS);

const TIMELINE_COLUMNS: Column<TimelineEntry>[] = [
  ['episode_id', 'text', (t) => t.episode_id],
  ['at', 'bigint', (t) => t.at],
  ['kind', 'text', (t) => t.kind],
  ['detail', 'jsonb', (t) => t.detail],
];

export const timelineJson = (t: string): string =>
  recordset('jsonb_to_recordset', `${t}::jsonb`, TIMELINE_COLUMNS);
export const timelineRows = (json: JsonLiterals, entries: readonly TimelineEntry[]): string =>
  unnestRows(json, entries, TIMELINE_COLUMNS);

const PENDING_COLUMNS: Column<PendingEntry>[] = [
  ['group_key', 'text', (p) => p.group_key],
  ['episode_id', 'text', (p) => p.episode_id],
  ['transition', 'text', (p) => p.transition],
  ['created_at', 'bigint', (p) => p.created_at],
  ['detail', 'jsonb', (p) => p.detail],
];

export const pendingJson = (p: string): string =>
  recordset('jsonb_to_recordset', `${p}::jsonb`, PENDING_COLUMNS);
export const pendingRows = (json: JsonLiterals, entries: readonly PendingEntry[]): string =>
  unnestRows(json, entries, PENDING_COLUMNS);

type Close = Extract<Effect, { kind: 'resolve' | 'clear' }>;

const CLOSE_COLUMNS: Column<Close>[] = [
  ['episode_id', 'text', (c) => c.episode_id],
  ['at', 'bigint', (c) => c.at],
  ['value', 'float8', (c) => (c.kind === 'resolve' ? c.value : null)],
  ['event_id', 'text', (c) => c.event_id],
  ['kind', 'text', (c) => c.kind],
  ['reason', 'text', (c) => (c.kind === 'resolve' ? c.reason : null)],
];

/** The resolve and clear effects (closeSql's `x`). */
export const closesJson = (x: string): string =>
  recordset('jsonb_to_recordset', `${x}::jsonb`, CLOSE_COLUMNS);
export const closesRows = (json: JsonLiterals, closes: readonly Close[]): string =>
  unnestRows(json, closes, CLOSE_COLUMNS);
