import { type Alert, maxSeverity, type Notification, newId } from '@tocsin/events';
import type { EpisodeRow } from '../history/episodes.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const same = (values: string[], fallback: string) =>
  values.length && values.every((v) => v === values[0]) ? values[0]! : fallback;

/** What a notice summing up episodes says and where it goes. */
export interface SummaryNoticeSpec {
  /** The notification's key (idempotent: the outbox and the delivery log key on it). */
  key: string;
  /** The group key, also the fingerprint of the one pseudo-alert that carries the summary. */
  group: string;
  ruleId: string;
  labels: Record<string, string>;
  summary: string;
  /** The description: `head`, then one line per episode up to `listed`, then "… and N more". */
  head?: string[];
  line(e: EpisodeRow): string;
  listed: number;
  /** The span summed up: the pseudo-alert's started_at and resolved_at. */
  start: number;
  end: number;
  now: number;
}

/**
 * A notice that sums up episodes (a maintenance occurrence that ended, a subscriber's digest), sent through the
 * normal notification path: one resolved pseudo-alert carrying the lines, as severe as the worst episode, of their
 * source and chain when they share one ("alerter" / "several" otherwise). No mentions: the caller adds any.
 */
export function summaryNotice(s: SummaryNoticeSpec, eps: readonly EpisodeRow[]): Notification {
  const lines = [...(s.head ?? []), ...eps.slice(0, s.listed).map(s.line)];
  if (eps.length > s.listed) lines.push(`… and ${eps.length - s.listed} more`);
  const severity = maxSeverity(eps.map((e) => e.severity));
  const source = same(
    eps.map((e) => e.source),
    'alerter',
  );
  const alert: Alert = {
    fingerprint: s.group,
    episode_id: newId(s.end),
    rule_id: s.ruleId,
    state: 'resolved',
    severity,
    source,
    chain_id: same(
      eps.map((e) => e.chain_id),
      'several',
    ),
    labels: s.labels,
    summary: s.summary,
    description: lines.join('\n'),
    started_at: iso(s.start),
    resolved_at: iso(s.end),
    value: eps.length,
    acknowledged: null,
    silenced_by: [],
    escalated: false,
    mentions: [],
    links: [],
    event_id: null,
    retracted: null,
  };
  return {
    id: newId(s.now),
    version: 1,
    key: s.key,
    transition: 'notice',
    severity,
    source,
    group: { key: s.group, labels: s.labels },
    alerts: [alert],
    mentions: [],
    created_at: iso(s.now),
  };
}
