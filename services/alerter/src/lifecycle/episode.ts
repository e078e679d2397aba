import { newId } from '@tocsin/events';
import { incidentGroupLabels } from '../incidents/incidents.ts';
import type { CompiledRule } from '../rules/compileRule.ts';
import type { Scope } from '../rules/scope.ts';
import type { SubscriptionIndex } from '../subscriptions/subscriptionIndex.ts';
import { groupKeyOf } from './fingerprint.ts';
import type { NewEpisode } from './types.ts';

export interface AlertVars {
  value: number | null;
  band?: string | null;
  previous?: unknown;
}

/** Builds an episode: renders the templates with the alert's labels and value in scope. */
export function newEpisode(
  rule: CompiledRule,
  labels: Record<string, string>,
  scope: Scope,
  opts: {
    state: NewEpisode['state'];
    at: number;
    vars: AlertVars;
    eventId: string | null;
    owners: string[];
    subscriptions: SubscriptionIndex;
  },
): NewEpisode {
  const epLabels = opts.vars.band ? { ...labels, band: opts.vars.band } : labels;
  const s: Scope = { ...scope, vars: { ...scope.vars, labels: epLabels, alert: opts.vars } };
  // A member of a correlation rule groups with the other alerts of its incident (when its tie labels have values).
  const incidentLabels = rule.incident ? incidentGroupLabels(rule.incident, labels) : null;
  const groupLabels: Record<string, string> = incidentLabels ?? {};
  if (!incidentLabels) {
    if (rule.groupBy.includes('...')) Object.assign(groupLabels, labels);
    else for (const g of rule.groupBy) groupLabels[g] = labels[g] ?? '';
  }
  const mentions = new Set([...rule.mentions, ...opts.owners]);
  if (rule.mentionSubscribers) {
    const target = rule.mentionSubscribers.target(s);
    if (target !== null && target !== undefined)
      for (const sub of opts.subscriptions.find(
        rule.mentionSubscribers.kind,
        labels.chain_id ?? '-',
        String(target),
      ))
        mentions.add(sub.owner);
  }
  const object = rule.priority ? rule.priority.object(s) : null;
  const ep: NewEpisode = {
    episode_id: newId(opts.at),
    fingerprint: '',
    rule_id: rule.id,
    mode: rule.mode,
    state: opts.state,
    severity: rule.severity,
    source: rule.source,
    chain_id: labels.chain_id ?? '-',
    labels: epLabels,
    summary: rule.summary.render(s),
    description: rule.description.render(s),
    value: opts.vars.value,
    started_at: opts.at,
    fired_at: opts.state === 'firing' ? opts.at : null,
    resolved_at: opts.state === 'resolved' ? opts.at : null,
    event_id: opts.eventId,
    mentions: [...mentions],
    links: rule.links
      .map((l) => ({ title: l.title.render(s), url: l.url.render(s) }))
      .filter((l) => l.url !== ''),
    group_key: groupKeyOf(rule.source, groupLabels),
    group_labels: groupLabels,
    group_wait_ms: (incidentLabels && rule.incident?.waitMs) ?? rule.groupWaitMs,
    group_interval_ms: rule.groupIntervalMs,
    object_key: object === null || object === undefined || object === '' ? null : String(object),
    priority: rule.priority?.rank ?? null,
    send_resolved: rule.sendResolved,
    repeat_interval_ms: rule.repeatIntervalMs,
    escalate_after_ms: rule.escalation?.afterMs ?? null,
    escalation_mentions: rule.escalation?.mentions ?? [],
  };
  return ep;
}
