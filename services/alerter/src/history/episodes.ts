import type { Alert } from '@tocsin/events';
import type { Pool, PoolClient } from '@tocsin/store';
import type { EpisodeFields } from '../lifecycle/types.ts';
import { isoTime } from './isoTime.ts';

/** An alert episode as stored. */
export interface EpisodeRow extends EpisodeFields<Date> {
  acked_by: string | null;
  acked_at: Date | null;
  ack_note: string | null;
  ack_until: Date | null;
  escalate_at: Date | null;
  escalated_at: Date | null;
  notified_at: Date | null;
  repeats: number;
  suppressed_by: string | null;
  retracted_at: Date | null;
  retract_reason: string | null;
}

/**
 * A row of alerter_episodes as an EpisodeRow, converted in place: every caller reads the query's row once (a copy
 * of its thirty-odd fields per episode notified was garbage).
 */
export function toEpisode(r: Record<string, unknown>): EpisodeRow {
  r.value = r.value === null ? null : Number(r.value);
  r.priority = r.priority === null ? null : Number(r.priority);
  r.repeats = Number(r.repeats);
  return r as unknown as EpisodeRow;
}

export async function readEpisodes(q: Pool | PoolClient, ids: string[]): Promise<Map<string, EpisodeRow>> {
  if (!ids.length) return new Map();
  const r = await q.query('SELECT * FROM alerter_episodes WHERE episode_id = ANY($1)', [ids]);
  return new Map(r.rows.map((row) => [row.episode_id as string, toEpisode(row)]));
}

export async function readEpisode(q: Pool | PoolClient, id: string): Promise<EpisodeRow | undefined> {
  return (await readEpisodes(q, [id])).get(id);
}

/** The latest episode of a fingerprint (the open one if any). */
export async function latestEpisode(
  q: Pool | PoolClient,
  fingerprint: string,
): Promise<EpisodeRow | undefined> {
  const r = await q.query(
    `SELECT * FROM alerter_episodes WHERE fingerprint = $1
     ORDER BY (state <> 'resolved') DESC, started_at DESC LIMIT 1`,
    [fingerprint],
  );
  return r.rows[0] ? toEpisode(r.rows[0]) : undefined;
}

/** The public shape (events `alert` schema). */
export function toAlert(ep: EpisodeRow, silencedBy: string[]): Alert {
  const escalated = ep.escalated_at !== null;
  return {
    fingerprint: ep.fingerprint,
    episode_id: ep.episode_id,
    rule_id: ep.rule_id,
    state: ep.state,
    severity: ep.severity,
    source: ep.source,
    chain_id: ep.chain_id,
    labels: ep.labels,
    summary: ep.summary,
    description: ep.description,
    started_at: isoTime(ep.started_at),
    resolved_at: ep.resolved_at ? isoTime(ep.resolved_at) : null,
    value: ep.value,
    acknowledged:
      ep.acked_by && ep.acked_at
        ? {
            by: ep.acked_by,
            at: ep.acked_at.toISOString(),
            until: ep.ack_until?.toISOString() ?? null,
            note: ep.ack_note ?? null,
          }
        : null,
    silenced_by: silencedBy,
    escalated,
    mentions: escalated ? [...new Set([...ep.mentions, ...ep.escalation_mentions])] : ep.mentions,
    links: ep.links,
    event_id: ep.event_id,
    retracted: ep.retracted_at
      ? { at: ep.retracted_at.toISOString(), reason: ep.retract_reason ?? '' }
      : null,
  };
}

export interface AlertQuery {
  state?: 'pending' | 'firing' | 'resolved';
  source?: string;
  chain_id?: string;
  rule_id?: string;
  since?: Date;
  limit: number;
  /** Alerts outranked by another alert on the same object are left out unless asked for. */
  include_suppressed?: boolean;
}

/** History: newest first. */
export async function listEpisodes(q: Pool | PoolClient, f: AlertQuery): Promise<EpisodeRow[]> {
  const where: string[] = f.include_suppressed ? [] : ['suppressed_by IS NULL'];
  const args: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    where.push(sql.replace('?', `$${args.length}`));
  };
  if (f.state) add('state = ?', f.state);
  if (f.source) add('source = ?', f.source);
  if (f.chain_id) add('chain_id = ?', f.chain_id);
  if (f.rule_id) add('rule_id = ?', f.rule_id);
  if (f.since) add('started_at >= ?', f.since);
  args.push(f.limit);
  const r = await q.query(
    `SELECT * FROM alerter_episodes ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY started_at DESC, episode_id DESC LIMIT $${args.length}`,
    args,
  );
  return r.rows.map(toEpisode);
}

export interface TimelineItem {
  at: string;
  kind: string;
  detail: Record<string, unknown>;
}

export async function readTimeline(q: Pool | PoolClient, episodeId: string): Promise<TimelineItem[]> {
  const r = await q.query('SELECT at, kind, detail FROM alerter_timeline WHERE episode_id = $1 ORDER BY id', [
    episodeId,
  ]);
  return r.rows.map((row) => ({ at: (row.at as Date).toISOString(), kind: row.kind, detail: row.detail }));
}
