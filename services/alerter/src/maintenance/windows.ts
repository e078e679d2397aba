import type { MaintenanceTimes, MaintenanceWindow, Matcher } from '@tocsin/events';
import type { ActiveSilence } from '../silences/match.ts';
import { compileSchedule, nextOccurrence, type Occurrence, occurrences, type Schedule } from './schedule.ts';

/** A maintenance window as the alerter holds it (stored in alerter_maintenance). */
export interface WindowRow {
  id: string;
  name: string;
  matchers: Matcher[];
  times: MaintenanceTimes;
  origin: 'config' | 'api' | 'chat';
  author: string;
  reason: string;
  created_at: number;
  /** Every occurrence that ended at or before this is closed (its summary is posted). */
  closed_until: number;
  ended_at: number | null;
}

export interface Window extends WindowRow {
  schedule: Schedule;
}

/** An occurrence of a window, with the id its mutes are recorded under. */
export interface WindowOccurrence extends Occurrence {
  id: string;
  window: Window;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Compiles stored windows (a stored window whose times no longer compile is reported, not used). */
export function compileWindows(
  rows: WindowRow[],
  onBad: (row: WindowRow, problems: string[]) => void,
): Window[] {
  const out: Window[] = [];
  for (const r of rows) {
    // A stored one-off may be over: compile against its creation, not now.
    const schedule = compileSchedule(r.times, r.created_at);
    if ('problems' in schedule) onBad(r, schedule.problems);
    else out.push({ ...r, schedule });
  }
  return out;
}

/** A window's occurrences that are not closed and started at or before `now` (an ended window stops early). */
function openOccurrences(w: Window, now: number): WindowOccurrence[] {
  const last = w.ended_at === null ? now : Math.min(now, w.ended_at - 1);
  return occurrences(w.schedule, w.closed_until, last)
    .map((o) => ({ start: o.start, end: w.ended_at === null ? o.end : Math.min(o.end, w.ended_at) }))
    .filter((o) => o.end > w.closed_until && o.end > o.start)
    .map((o) => ({ ...o, id: `maintenance:${w.id}@${iso(o.start)}`, window: w }));
}

/**
 * The occurrences that mute alerts at `now`: those running, and those over but not yet closed (what they held
 * back is settled when they close, in the same transaction as the summary), as silences for the flush.
 */
export function mutingAt(windows: readonly Window[], now: number): ActiveSilence[] {
  const out: ActiveSilence[] = [];
  for (const w of windows)
    for (const o of openOccurrences(w, now))
      out.push({ id: o.id, matchers: w.matchers, starts_at: o.start, ends_at: Number.MAX_SAFE_INTEGER });
  return out;
}

/** Occurrences over at `now` and not yet closed, oldest first. */
export function dueToClose(windows: readonly Window[], now: number): WindowOccurrence[] {
  return windows
    .flatMap((w) => openOccurrences(w, now).filter((o) => o.end <= now))
    .sort((a, b) => a.end - b.end);
}

/** The public shape (events `maintenanceWindow`). */
export function toPublic(w: Window, now: number): MaintenanceWindow {
  const running = openOccurrences(w, now).find((o) => o.end > now);
  const upcoming =
    running ??
    (w.ended_at !== null && w.ended_at <= now
      ? null
      : nextOccurrence(w.schedule, Math.max(now, w.closed_until)));
  const next =
    upcoming && (w.ended_at === null || upcoming.start < w.ended_at)
      ? { starts_at: iso(upcoming.start), ends_at: iso(Math.min(upcoming.end, w.ended_at ?? upcoming.end)) }
      : null;
  return {
    id: w.id,
    name: w.name,
    matchers: w.matchers,
    times: w.times,
    origin: w.origin,
    author: w.author,
    reason: w.reason,
    created_at: iso(w.created_at),
    ended_at: w.ended_at === null ? null : iso(w.ended_at),
    active: running !== undefined,
    next,
  };
}

/** The mutes of a flush's holds that came from maintenance occurrences (for their summaries). */
export function maintenanceHolds(
  holds: readonly { entry: { episode_id: string }; silences: string[] }[],
): { occurrence: string; episode_id: string }[] {
  return holds.flatMap((h) =>
    h.silences
      .filter((id) => id.startsWith('maintenance:'))
      .map((occurrence) => ({ occurrence, episode_id: h.entry.episode_id })),
  );
}
