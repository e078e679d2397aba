import { sqlLiteral } from '@tocsin/store';
import { flushReadOf, flushReadSql } from '../grouping/flush.ts';
import type { IncidentIndex } from '../incidents/incidents.ts';
import {
  closeSql,
  episodesCtes,
  groupsOf,
  mootPendingSql,
  opening,
  type PendingEntry,
  saidAndPending,
  type TimelineEntry,
} from '../lifecycle/episodeStore.ts';
import type { Effect, NewEpisode } from '../lifecycle/types.ts';

/**
 * A batch's writes and its flush's reads as statements of one simple query (inputs as escaped literals), sent with
 * the lock in its round trip (AlerterCore.stageLocked's prelude): the same writes as applyEffects, for the batches
 * that only open episodes (a burst of new alerts) or only resolve or clear them (a burst of recoveries). `flushes`:
 * whether the flush's reads (flushReadSql, its results after the writes' one) follow. Null for any other batch.
 */
export interface BatchPrelude {
  sql: string;
  flushes: boolean;
}

const lit = (v: unknown) => sqlLiteral(JSON.stringify(v));

export function batchPrelude(
  effects: Effect[],
  now: number,
  /** The incidents (their context rules are read with the flush). */
  incidents: IncidentIndex | undefined,
): BatchPrelude | null {
  return openingPrelude(effects, now, incidents) ?? closingPrelude(effects, now, incidents);
}

/** New episodes, their timeline and their transitions (applyEffects' opened-only case). */
function openingPrelude(
  effects: Effect[],
  now: number,
  incidents: IncidentIndex | undefined,
): BatchPrelude | null {
  const timeline: TimelineEntry[] = [];
  const pending: PendingEntry[] = [];
  const opened: NewEpisode[] = [];
  for (const e of effects) {
    if (e.kind !== 'open' && e.kind !== 'notice') return null;
    opening(e, now, opened, timeline, pending);
  }
  if (!opened.length) return null;
  const sql = `WITH ${episodesCtes(lit(opened), lit(groupsOf(opened)))}, ${saidAndPending(lit(timeline), lit(pending))}`;
  const touched = [...new Set(pending.map((p) => p.group_key))];
  return touched.length
    ? { sql: `${sql};\n${flushReadSql(touched, incidents)}`, flushes: true }
    : { sql, flushes: false };
}

/**
 * Resolved and cleared episodes (applyEffects' closes, when nothing else happens in the batch): their timeline, the
 * transitions that are moot now, and the resolution where it is notified; the flush reads the groups that got one.
 */
function closingPrelude(
  effects: Effect[],
  now: number,
  incidents: IncidentIndex | undefined,
): BatchPrelude | null {
  if (!effects.length) return null;
  const ids: string[] = [];
  for (const e of effects) {
    if (e.kind !== 'resolve' && e.kind !== 'clear') return null;
    ids.push(e.episode_id);
  }
  if (!Number.isSafeInteger(now)) throw new Error(`bad clock value ${now}`);
  const episodes = `ARRAY[${ids.map((id) => sqlLiteral(id)).join(',')}]::text[]`;
  const sql = `WITH closed AS (${closeSql(lit(effects))}),
     moot AS (${mootPendingSql('ARRAY(SELECT episode_id FROM closed)')}),
     said AS (
       INSERT INTO alerter_timeline (episode_id, at, kind, detail)
       SELECT episode_id, to_timestamp(at / 1000.0), CASE WHEN kind = 'clear' THEN 'cleared' ELSE 'resolved' END,
         jsonb_build_object('reason', coalesce(reason, 'condition cleared'))
       FROM closed)
     INSERT INTO alerter_pending (group_key, episode_id, transition, created_at, detail)
     SELECT group_key, episode_id, 'resolved', ${now}, '{}' FROM closed
     WHERE kind <> 'clear' AND notified_at IS NOT NULL AND send_resolved AND suppressed_by IS NULL`;
  const resolved = `ARRAY(SELECT group_key FROM alerter_pending WHERE episode_id = ANY(${episodes})
    AND transition = 'resolved')`;
  return { sql: `${sql};\n${flushReadOf(resolved, incidents)}`, flushes: true };
}
