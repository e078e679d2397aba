import { JsonLiterals, sqlKeys, sqlLiteral } from '@tocsin/store';
import { type FlushRead, flushReadOf } from '../grouping/flush.ts';
import { closingFresh, type FreshBatch, freshGroups, openingFresh } from '../grouping/fresh.ts';
import type { IncidentIndex } from '../incidents/incidents.ts';
import { closesRows, episodesRows, groupsRows, pendingRows, timelineRows } from '../lifecycle/episodeRows.ts';
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
 * A batch's writes and its flush's reads as statements of one simple query (inputs as marks of `json`), sent with
 * the lock in its round trip (AlerterCore.stageLocked's prelude): the same writes as applyEffects, for the batches
 * that only open episodes (a burst of new alerts) or only resolve or clear them (a burst of recoveries). The
 * transitions they cause are not written as pending: the flush plans them from memory (grouping/fresh.ts), and those
 * it notifies now are written once, in their final form, with its final write. `flush`: from the prelude's results
 * (after the lock's), what the flush reads and the batch's transitions; null when there is no flush. Null for any
 * other batch.
 */
export interface BatchPrelude {
  sql: string;
  json: JsonLiterals;
  flush: ((results: FlushRead) => { read: FlushRead; fresh: FreshBatch }) | null;
}

export function batchPrelude(
  effects: Effect[],
  now: number,
  /** The incidents (their context rules are read with the flush). */
  incidents: IncidentIndex | undefined,
): BatchPrelude | null {
  return openingPrelude(effects, now, incidents) ?? closingPrelude(effects, now, incidents);
}

/**
 * New episodes, their timeline and their transitions (applyEffects' opened-only case): when some fire, the prelude
 * only reads what the flush needs of their groups, and everything is written with the flush's final write.
 */
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
  const sql = (j: JsonLiterals) =>
    `WITH ${episodesCtes(episodesRows(j, opened), groupsRows(j, groupsOf(opened)))}, ${saidAndPending(timelineRows(j, timeline), pendingRows(j, pending))}`;
  if (!pending.length) {
    const json = new JsonLiterals();
    return { sql: sql(json), json, flush: null };
  }
  // (The writes as one statement only if the flush needs them as rows.)
  const fresh = openingFresh(opened, timeline, pending, sql);
  const touched = sqlKeys(freshGroups(fresh));
  const objectKeys = [...new Set(opened.flatMap((e) => (e.object_key === null ? [] : [e.object_key])))];
  return {
    sql: flushReadOf(touched, incidents, { objectKeys }),
    json: new JsonLiterals(),
    flush: (results) => ({ read: results, fresh }),
  };
}

/**
 * Resolved and cleared episodes (applyEffects' closes, when nothing else happens in the batch): their timeline and
 * the transitions that are moot now are written; the flush reads the groups of these episodes, and plans their
 * resolutions (where notified) from the closed rows.
 */
function closingPrelude(
  effects: Effect[],
  now: number,
  incidents: IncidentIndex | undefined,
): BatchPrelude | null {
  if (!effects.length) return null;
  const closes: Extract<Effect, { kind: 'resolve' | 'clear' }>[] = [];
  for (const e of effects) {
    if (e.kind !== 'resolve' && e.kind !== 'clear') return null;
    closes.push(e);
  }
  const episodes = `ARRAY[${closes.map((e) => sqlLiteral(e.episode_id)).join(',')}]::text[]`;
  const json = new JsonLiterals();
  const sql = `WITH closed AS (${closeSql(closesRows(json, closes), true)}),
     moot AS (${mootPendingSql('ARRAY(SELECT episode_id FROM closed)')}),
     said AS (
       INSERT INTO alerter_timeline (episode_id, at, kind, detail)
       SELECT episode_id, to_timestamp(at / 1000.0), CASE WHEN kind = 'clear' THEN 'cleared' ELSE 'resolved' END,
         jsonb_build_object('reason', coalesce(reason, 'condition cleared'))
       FROM closed)
     SELECT * FROM closed`;
  // The groups of all these episodes (those of the resolutions notified are among them: withFresh keeps those). Each
  // looked up by its key: the flush's read names them five times, and `episode_id = ANY(…)` was planned as a scan of
  // the whole table each time when its statistics lagged a burst.
  const groups = `ARRAY(SELECT (SELECT group_key FROM alerter_episodes WHERE episode_id = i) FROM unnest(${episodes}) AS i)`;
  return {
    sql: `${sql};\n${flushReadOf(groups, incidents, { objectKeys: [] })}`,
    json,
    flush: (results) => ({ read: results.slice(1), fresh: closingFresh(results[0]!.rows, now) }),
  };
}
