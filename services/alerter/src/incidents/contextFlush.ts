import { type Alert, maxSeverity, type Notification, newId } from '@tocsin/events';
import { type PoolClient, sqlLiteral } from '@tocsin/store';
import { type EpisodeRow, toAlert, toEpisode } from '../history/episodes.ts';
import type { TimelineEntry } from '../lifecycle/episodeStore.ts';
import { type ContextLinks, contextPatterns } from './context.ts';
import { type IncidentIndex, incidentOf } from './incidents.ts';

/**
 * Context members at flush time (see context.ts): which context alerts the incidents list, and the edits of the
 * incidents a context alert joins or leaves. Runs in the flush, under the alerter's lock, so every replica writes
 * the same outbox rows.
 */

/** One statement of the flush's read: the announced, firing, unsuppressed alerts of the context rules. */
export const CONTEXT_FIRING_SQL = (rules: readonly string[]) =>
  `SELECT * FROM alerter_episodes WHERE rule_id = ANY(ARRAY[${rules.map((r) => sqlLiteral(r)).join(',')}]::text[])
     AND state = 'firing' AND suppressed_by IS NULL AND notified_at IS NOT NULL`;

/**
 * The context alerts as this flush leaves them: `firing`, those announced before or now (and not resolving now);
 * `changed`, those announced or resolved now (the incidents they join are edited).
 */
export function contextNow(
  links: ContextLinks,
  announced: readonly EpisodeRow[],
  notifications: readonly { transition: string; eps: readonly EpisodeRow[] }[],
): { firing: Alert[]; changed: Alert[] } {
  const firing = new Map(announced.map((ep) => [ep.episode_id, toAlert(ep, [])]));
  const changed: Alert[] = [];
  for (const n of notifications)
    for (const ep of n.eps) {
      if (!links.has(ep.rule_id) || (n.transition !== 'firing' && n.transition !== 'resolved')) continue;
      const a = toAlert(ep, []);
      changed.push(a);
      if (n.transition === 'firing') firing.set(ep.episode_id, a);
      else firing.delete(ep.episode_id);
    }
  return { firing: [...firing.values()], changed };
}

export interface ContextEditOptions {
  now: number;
  incidents: IncidentIndex | undefined;
  links: ContextLinks;
  firing: readonly Alert[];
  changed: readonly Alert[];
  /** Incident groups whose firing this flush notifies anyway (it lists the context already). */
  notifying: ReadonlySet<string>;
  manualResolve?: (ruleId: string) => boolean;
}

/**
 * The edits of the incidents that context alerts joined (announced now) or left (resolved now): for each incident
 * group they match with members announced and firing, a `firing` notification listing those members (and the
 * context alerts that fire), so each chat edits that incident's one message. It tags no one: the context alert's
 * own message did. Each context alert's timeline says which incident it was listed in.
 */
export async function contextEdits(
  c: PoolClient,
  opts: ContextEditOptions,
): Promise<{ out: { key: string; payload: Notification }[]; timeline: TimelineEntry[] }> {
  const patterns = contextPatterns(opts.links, opts.changed);
  if (!patterns.length) return { out: [], timeline: [] };
  const groups = (
    await c.query(
      `SELECT group_key, source, labels FROM alerter_groups WHERE labels @> ANY($1::jsonb[]) ORDER BY group_key`,
      [patterns.map((p) => JSON.stringify(p))],
    )
  ).rows.filter((g) => !opts.notifying.has(g.group_key as string));
  if (!groups.length) return { out: [], timeline: [] };
  const members = new Map<string, EpisodeRow[]>();
  const rows = await c.query(
    `SELECT * FROM alerter_episodes WHERE group_key = ANY($1::text[])
       AND state = 'firing' AND suppressed_by IS NULL AND notified_at IS NOT NULL ORDER BY started_at, episode_id`,
    [groups.map((g) => g.group_key)],
  );
  for (const row of rows.rows) {
    const ep = toEpisode(row);
    members.set(ep.group_key, [...(members.get(ep.group_key) ?? []), ep]);
  }
  const out: { key: string; payload: Notification }[] = [];
  const timeline: TimelineEntry[] = [];
  const { now } = opts;
  for (const g of groups) {
    const key = g.group_key as string;
    const labels = g.labels as Record<string, string>;
    const eps = members.get(key);
    if (!eps?.length) continue;
    const incident = incidentOf(
      opts.incidents,
      labels,
      eps.map((ep) => toAlert(ep, [])),
      now,
      opts.firing,
    );
    if (!incident) continue;
    const alerts = incident.alerts.map((a) =>
      opts.manualResolve?.(a.rule_id) ? { ...a, manual_resolve: true } : a,
    );
    const nkey = `${key}:firing:${newId(now)}`;
    out.push({
      key: nkey,
      payload: {
        id: newId(now),
        version: 1,
        key: nkey,
        transition: 'firing',
        severity: maxSeverity(alerts.map((a) => a.severity)),
        source: g.source as string,
        group: { key, labels },
        alerts,
        mentions: [],
        incident: incident.incident,
        created_at: new Date(now).toISOString(),
      },
    });
    for (const a of opts.changed)
      if (
        incident.incident.context?.includes(a.episode_id) ||
        (a.state === 'resolved' && contextPatterns(opts.links, [a]).some((p) => matches(p, labels)))
      )
        timeline.push({
          episode_id: a.episode_id,
          at: now,
          kind: 'notified',
          detail: { transition: a.state === 'resolved' ? 'resolved' : 'firing', key: nkey, incident: key },
        });
  }
  return { out, timeline };
}

const matches = (pattern: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(pattern).every(([k, v]) => labels[k] === v);
