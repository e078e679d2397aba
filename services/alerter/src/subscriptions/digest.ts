import type { AlertSubscription, Notification } from '@tocsin/events';
import type { PoolClient } from '@tocsin/store';
import { type EpisodeRow, toEpisode } from '../history/episodes.ts';
import { enqueueOne, type OutboxRow } from '../outbox/outbox.ts';
import { summaryNotice } from '../outbox/summaryNotice.ts';
import {
  DEFAULT_AT,
  type DigestCadence,
  type DigestSchedule,
  localDateTime,
  periodOf,
  scheduleOf,
} from './digestSchedule.ts';

const HOUR = 3_600_000;
/** Periods missed while no alerter ran that are still summarised (the most recent ones). */
const CATCH_UP = 24;
/** Alerts listed in a digest's description; the counts cover the rest. */
const LISTED = 25;
/** Alerts read for one digest at most. */
const READ_LIMIT = 1000;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The latest digest boundary at or before `now` over these subscriptions' schedules: a digest check is due when it
 * moves (every UTC hour for hourly digests; each daily time, in its zone).
 */
export function digestBoundary(now: number, subs: readonly AlertSubscription[] = []): number {
  let latest = periodOf({ cadence: 'hourly', at: DEFAULT_AT, timezone: 'UTC' }, now).start;
  const seen = new Set<string>();
  for (const s of subs) {
    if (s.cadence !== 'daily') continue;
    const sch = scheduleOf(s);
    const k = `${sch.at} ${sch.timezone}`;
    if (seen.has(k)) continue;
    seen.add(k);
    latest = Math.max(latest, periodOf(sch, now).start);
  }
  return latest;
}

export interface DuePeriod {
  owner: string;
  cadence: DigestCadence;
  schedule: DigestSchedule;
  start: number;
  end: number;
  subs: AlertSubscription[];
}

/**
 * The periods to summarise at `now` for each (owner, cadence): those ended after the last one summarised and not
 * before the period the earliest of the subscriptions began in (a cadence change starts it again), at most the
 * last CATCH_UP. An owner has one daily time (alertSubscriptionStore.ts keeps their daily subscriptions on one):
 * the latest subscription's, should two disagree.
 */
export function duePeriods(
  subs: readonly AlertSubscription[],
  lastEnd: ReadonlyMap<string, number>,
  now: number,
): DuePeriod[] {
  const by = new Map<string, AlertSubscription[]>();
  for (const s of subs) {
    if (s.cadence === 'immediate') continue;
    const k = `${s.owner}\u0000${s.cadence}`;
    const l = by.get(k);
    if (l) l.push(s);
    else by.set(k, [s]);
  }
  const out: DuePeriod[] = [];
  for (const [k, list] of by) {
    const latest = list.reduce((a, b) => (Date.parse(b.created_at) > Date.parse(a.created_at) ? b : a));
    const schedule = scheduleOf(latest);
    const since = Math.min(...list.map((s) => Date.parse(s.created_at)));
    // Never before the subscriptions (a subscriber who comes back is not sent the periods they were away); a
    // changed daily time starts at the period holding the end of the last digest.
    const reach = (CATCH_UP + 1) * (schedule.cadence === 'hourly' ? HOUR : 25 * HOUR);
    const floor = Math.max(lastEnd.get(k) ?? 0, since, now - reach);
    const periods = [];
    for (let p = periodOf(schedule, floor); p.end <= now; p = periodOf(schedule, p.end)) periods.push(p);
    for (const p of periods.slice(-CATCH_UP))
      out.push({ owner: list[0]!.owner, cadence: schedule.cadence, schedule, ...p, subs: list });
  }
  return out;
}

/** The digest's clock: a daily digest's zone, else UTC. */
const zoneOf = (p: DuePeriod) => (p.cadence === 'daily' ? p.schedule.timezone : 'UTC');

/** What happened to an alert within the period, as a digest line, its times on the subscriber's clock. */
function line(e: EpisodeRow, p: DuePeriod): string {
  const at = (ms: number) => localDateTime(ms, zoneOf(p));
  const hhmm = (ms: number) => at(ms).slice(11);
  const fired = e.fired_at!.getTime();
  const resolved = e.resolved_at?.getTime() ?? null;
  const firedIn = fired >= p.start;
  const resolvedIn = resolved !== null && resolved < p.end;
  const what = firedIn
    ? resolvedIn
      ? `fired ${hhmm(fired)}, resolved ${hhmm(resolved!)}`
      : `fired ${hhmm(fired)}, still firing`
    : resolvedIn
      ? `resolved ${hhmm(resolved!)} (firing since ${at(fired)})`
      : `still firing (since ${at(fired)})`;
  return `• ${what}: ${e.summary} (${e.chain_id})`;
}

const scopeText = (s: AlertSubscription) => `${s.scope} ${s.value}`;

/** The period as the subscriber reads it: `2026-03-24 10:00–11:00 UTC`, `2026-03-24 (UTC)`, or from–to in a zone. */
function periodText(p: DuePeriod): string {
  const zone = zoneOf(p);
  const [from, to] = [localDateTime(p.start, zone), localDateTime(p.end, zone)];
  if (p.cadence === 'hourly') return `${from}–${to.slice(11)} UTC`;
  if (p.schedule.at === DEFAULT_AT) return `${from.slice(0, 10)} (${zone})`;
  return `${from} – ${to} (${zone})`;
}

/** "Hourly digest 2026-03-24 10:00–11:00 UTC: 2 fired, 1 resolved, 3 still firing". */
export function digestSummary(p: DuePeriod, eps: readonly EpisodeRow[]): string {
  const fired = eps.filter((e) => e.fired_at!.getTime() >= p.start).length;
  const resolved = eps.filter((e) => e.resolved_at !== null && e.resolved_at.getTime() < p.end).length;
  const firing = eps.filter((e) => e.resolved_at === null || e.resolved_at.getTime() >= p.end).length;
  return `${p.cadence === 'hourly' ? 'Hourly' : 'Daily'} digest ${periodText(p)}: ${fired} fired, ${resolved} resolved, ${firing} still firing`;
}

/** The digest as a notice through the normal notification path, tagging its owner, for the owner's chat only. */
export function digestNotification(p: DuePeriod, eps: readonly EpisodeRow[], now: number): Notification {
  const n = summaryNotice(
    {
      key: digestKey(p),
      group: `digest:${p.owner}:${p.cadence}`,
      ruleId: 'digest',
      labels: { digest: p.cadence },
      summary: digestSummary(p, eps),
      head: [`Your subscriptions: ${p.subs.map(scopeText).join(', ')}`],
      line: (e) => line(e, p),
      listed: LISTED,
      start: p.start,
      end: p.end,
      now,
    },
    eps,
  );
  // A Discord user's digest is for the Discord notifier only (user:/role: owners: every notifier).
  const platform = /^(discord|slack|telegram):/.exec(p.owner)?.[1];
  return {
    ...n,
    mentions: [p.owner],
    digest: {
      owner: p.owner,
      cadence: p.cadence,
      period_start: iso(p.start),
      period_end: iso(p.end),
      ...(p.cadence === 'daily' ? { timezone: p.schedule.timezone } : {}),
    },
    ...(platform ? { notifiers: [platform] } : {}),
  };
}

/** The idempotent key of a digest: one per (owner, cadence, period). */
export const digestKey = (p: Pick<DuePeriod, 'owner' | 'cadence' | 'start'>): string =>
  `digest:${p.owner}:${p.cadence}:${iso(p.start)}`;

/**
 * The alerts of a period for a digest: fired before its end and not resolved before its start, of the subscribed
 * chains and sources, as the channels saw them: announced (not held by a silence or maintenance, nor outranked by
 * another alert about the same object); notices and retracted alerts left out.
 */
async function periodEpisodes(c: PoolClient, p: DuePeriod): Promise<EpisodeRow[]> {
  const chains = p.subs.filter((s) => s.scope === 'chain').map((s) => s.value);
  const sources = p.subs.filter((s) => s.scope === 'source').map((s) => s.value);
  const r = await c.query(
    `SELECT * FROM alerter_episodes
     WHERE (chain_id = ANY($1) OR source = ANY($2)) AND mode = 'alert' AND retracted_at IS NULL
       AND notified_at IS NOT NULL AND suppressed_by IS NULL
       AND fired_at IS NOT NULL AND fired_at < $4 AND (resolved_at IS NULL OR resolved_at >= $3)
     ORDER BY fired_at, episode_id LIMIT ${READ_LIMIT}`,
    [chains, sources, new Date(p.start), new Date(p.end)],
  );
  return r.rows.map(toEpisode);
}

/**
 * Decides the digests due at `now` (under the alerter's lock, in the tick): each period is recorded in
 * alerter_digests, and one with alerts gets its notification in the outbox, in the same transaction; a period
 * already recorded (another replica, before a restart) is skipped.
 */
export async function runDigests(
  c: PoolClient,
  subs: readonly AlertSubscription[],
  now: number,
  outboxLeaseMs: number,
): Promise<OutboxRow[]> {
  if (!subs.length) return [];
  const owners = [...new Set(subs.map((s) => s.owner))];
  const r = await c.query(
    `SELECT owner, cadence, max(period_end) AS last FROM alerter_digests WHERE owner = ANY($1)
     GROUP BY owner, cadence`,
    [owners],
  );
  const lastEnd = new Map<string, number>(
    r.rows.map((row) => [`${row.owner}\u0000${row.cadence}`, (row.last as Date).getTime()]),
  );
  const out: OutboxRow[] = [];
  for (const p of duePeriods(subs, lastEnd, now)) {
    const eps = await periodEpisodes(c, p);
    const key = digestKey(p);
    const recorded = await c.query(
      `INSERT INTO alerter_digests (owner, cadence, period_start, period_end, key, alerts, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING key`,
      [p.owner, p.cadence, new Date(p.start), new Date(p.end), key, eps.length, new Date(now)],
    );
    if (!recorded.rowCount || !eps.length) continue;
    out.push(...(await enqueueOne(c, digestNotification(p, eps, now), outboxLeaseMs)));
  }
  return out;
}
