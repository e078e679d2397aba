import { type Contender, outrankedBy } from '../inhibit/priority.ts';
import { type ActiveSilence, silencedBy } from '../silences/match.ts';

export type PendingTransition =
  | 'firing'
  | 'resolved'
  | 'repeat'
  | 'escalated'
  | 'acknowledged'
  | 'retracted'
  | 'notice'
  | 'flapping';

export interface PendingRow {
  id: number;
  group_key: string;
  episode_id: string;
  transition: PendingTransition;
  created_at: number;
  held: boolean;
  detail: Record<string, unknown>;
}

export interface GroupRow {
  group_key: string;
  source: string;
  labels: Record<string, string>;
  group_wait_ms: number;
  group_interval_ms: number;
  last_flush_at: number | null;
}

/** An alerter_pending row as read. */
export function toPending(r: Record<string, unknown>): PendingRow {
  return {
    id: Number(r.id),
    group_key: r.group_key as string,
    episode_id: r.episode_id as string,
    transition: r.transition as PendingTransition,
    created_at: Number(r.created_at),
    held: r.held as boolean,
    detail: (r.detail as Record<string, unknown>) ?? {},
  };
}

/** An alerter_groups row as read. */
export function toGroup(r: Record<string, unknown>): GroupRow {
  return {
    group_key: r.group_key as string,
    source: r.source as string,
    labels: r.labels as Record<string, string>,
    group_wait_ms: Number(r.group_wait_ms),
    group_interval_ms: Number(r.group_interval_ms),
    last_flush_at: r.last_flush_at === null ? null : Number(r.last_flush_at),
  };
}

/** What the planner needs to know about an episode. */
export interface EpisodeFacts {
  episode_id: string;
  labels: Record<string, string>;
  object_key: string | null;
  priority: number | null;
  started_at: number;
}

/** Grouped transitions wait for group_wait/group_interval; the others are sent as soon as they happen. */
export const GROUPED: ReadonlySet<PendingTransition> = new Set(['firing', 'resolved', 'repeat']);

export interface FlushInput {
  now: number;
  entries: PendingRow[];
  groups: Map<string, GroupRow>;
  episodes: Map<string, EpisodeFacts>;
  silences: ActiveSilence[];
  /** Open, unsuppressed episodes sharing an object key with a pending firing. */
  rivals: Contender[];
  priorityWaitMs: number;
}

export interface FlushPlan {
  notifications: { group: GroupRow; transition: PendingTransition; entries: PendingRow[] }[];
  /** Entries newly muted by a silence (they stay pending until it ends). */
  hold: { entry: PendingRow; silences: string[] }[];
  /** Episodes outranked by another alert on the same object: never notified. */
  suppress: { episode_id: string; by: string }[];
  /** Entries whose episode no longer exists. */
  drop: PendingRow[];
  /** Groups whose grouped transitions were flushed (their group_interval restarts). */
  flushed: string[];
}

/**
 * Decides which pending transitions become notifications now: Alertmanager's pipeline (inhibit by priority →
 * silence → group wait/interval), as a pure function of the pending rows and the time.
 */
export function planFlush(input: FlushInput): FlushPlan {
  const { now } = input;
  const plan: FlushPlan = { notifications: [], hold: [], suppress: [], drop: [], flushed: [] };
  const suppressed = new Set<string>();
  const byGroup = new Map<string, PendingRow[]>();
  // Rivals by object: each firing is compared with the alerts on its own object only (not with every rival).
  const rivalsOf = new Map<string, Contender[]>();
  for (const r of input.rivals) {
    const l = rivalsOf.get(r.object_key);
    if (l) l.push(r);
    else rivalsOf.set(r.object_key, [r]);
  }
  for (const e of input.entries) {
    const ep = input.episodes.get(e.episode_id);
    const group = input.groups.get(e.group_key);
    if (!ep || !group) {
      plan.drop.push(e);
      continue;
    }
    if (e.transition === 'firing' && ep.object_key !== null && ep.priority !== null) {
      if (now < e.created_at + input.priorityWaitMs) continue;
      const by = outrankedBy(
        {
          episode_id: ep.episode_id,
          object_key: ep.object_key,
          priority: ep.priority,
          started_at: ep.started_at,
        },
        (rivalsOf.get(ep.object_key) ?? []).filter((r) => !suppressed.has(r.episode_id)),
      );
      if (by) {
        suppressed.add(ep.episode_id);
        plan.suppress.push({ episode_id: ep.episode_id, by });
        continue;
      }
    }
    // An edit of a message already sent (acknowledged, retracted) is not muted.
    if (e.transition !== 'acknowledged' && e.transition !== 'retracted') {
      const muted = silencedBy(input.silences, ep.labels, now);
      if (muted.length) {
        if (!e.held) plan.hold.push({ entry: e, silences: muted });
        continue;
      }
    }
    const list = byGroup.get(e.group_key);
    if (list) list.push(e);
    else byGroup.set(e.group_key, [e]);
  }
  for (const [key, entries] of byGroup) {
    const group = input.groups.get(key)!;
    const live = entries.filter((e) => !suppressed.has(e.episode_id));
    const grouped = live.filter((e) => GROUPED.has(e.transition));
    const immediate = live.filter((e) => !GROUPED.has(e.transition));
    // group_wait holds the first transitions of a group that was quiet (new, or silent for a whole interval) so a
    // storm goes out together; after that the group flushes at most once per group_interval. Repeats never wait.
    const last = group.last_flush_at;
    const fresh = grouped.filter((e) => e.transition !== 'repeat');
    const firstAt = Math.min(...fresh.map((e) => e.created_at));
    const quiet = last === null || firstAt >= last + group.group_interval_ms;
    const due =
      grouped.length > 0 &&
      (last === null || now >= last + group.group_interval_ms) &&
      (fresh.length === 0 || !quiet || now >= firstAt + group.group_wait_ms);
    // Acknowledgements, retractions, escalations and notices are about one alert each: one notification each, right away.
    for (const e of immediate) plan.notifications.push({ group, transition: e.transition, entries: [e] });
    const byTransition = new Map<PendingTransition, PendingRow[]>();
    for (const e of due ? grouped : []) {
      const l = byTransition.get(e.transition);
      if (l) l.push(e);
      else byTransition.set(e.transition, [e]);
    }
    // What ended is said before what began (a band change: resolved slow, then firing fast).
    for (const transition of ['resolved', 'firing', 'repeat'] as const) {
      const es = byTransition.get(transition);
      if (es) plan.notifications.push({ group, transition, entries: es });
    }
    if (due) plan.flushed.push(key);
  }
  return plan;
}
