import { newId } from '@tocsin/events';
import { legacyLadder, selectLadder } from '../escalation/policy.ts';
import { incidentGroupLabels } from '../incidents/incidents.ts';
import type { CompiledRule } from '../rules/compileRule.ts';
import type { Scope } from '../rules/scope.ts';
import type { SubscriptionIndex } from '../subscriptions/subscriptionIndex.ts';
import { groupKeyOf } from './fingerprint.ts';
import type { NewEpisode } from './types.ts';

/**
 * The ladder an alert climbs: the first escalation policy its labels match, else the old one-step escalation of
 * its rule or `defaults.escalation`. Mentions are added as the ladder's steps notify them.
 */
function escalationOf(
  rule: CompiledRule,
  labels: Record<string, string>,
): Pick<NewEpisode, 'escalate_after_ms' | 'escalation_mentions' | 'escalation_ladder'> {
  // The policies match on the alert's labels and the implicit ones (a copy made only when there are policies).
  const ladder =
    (rule.escalationPolicies.length
      ? selectLadder(rule.escalationPolicies, {
          ...labels,
          rule: rule.id,
          source: rule.source,
          severity: rule.severity,
        })
      : null) ??
    (rule.escalation ? legacyLadder('escalate', rule.escalation.afterMs, rule.escalation.mentions) : null);
  // The ladder's first step starts when the firing notification went out (its waits are steps of their own).
  return { escalate_after_ms: ladder ? 0 : null, escalation_mentions: [], escalation_ladder: ladder };
}

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
  // (A spread copies the labels' shape at once; Object.assign into {} added them one by one.)
  let groupLabels: Record<string, string>;
  if (incidentLabels) groupLabels = incidentLabels;
  else if (rule.groupBy.includes('...')) groupLabels = { ...labels };
  else {
    groupLabels = {};
    for (const g of rule.groupBy) groupLabels[g] = labels[g] ?? '';
  }
  const mentions = new Set([
    ...rule.mentions,
    ...opts.owners,
    // `$subscribe <chain|source> immediate`: tagged on each alert of that chain or source.
    ...opts.subscriptions.immediate(rule.source, labels.chain_id ?? '-'),
  ]);
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
  const escalation = escalationOf(rule, epLabels);
  // Every field written out (a spread at the end of the literal made each episode a slow copy).
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
    escalate_after_ms: escalation.escalate_after_ms,
    escalation_mentions: escalation.escalation_mentions,
    escalation_ladder: escalation.escalation_ladder,
  };
  return ep;
}
