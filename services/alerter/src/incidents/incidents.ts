import type { Alert } from '@tocsin/events';
import { duration, parseConfigValue } from '@tocsin/runtime';
import { z } from 'zod';
import type { CompiledRule } from '../rules/compileRule.ts';
import { type CompiledTemplate, compileTemplate } from '../rules/template.ts';
import { compileContext, contextOf, type IncidentContext, incidentContext } from './context.ts';

/**
 * Correlation rules: alerts of several rules that share a cause become one incident. Built on the grouping
 * machinery: a member rule's alerts whose tie labels all have a value get one cross-rule group (`incident` plus the
 * tie labels), so they are notified together in one message, with the alerts ordered cause first and a summary
 * line rendered from the incident's template. A later firing of the incident lists its members already announced
 * as well, so the notifier edits that message (the cause, found later, moves first) instead of posting another.
 */
export const incidentRule = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
  /** Member rules, the likely cause first: an alert's rank in this list orders the incident's message. */
  rules: z.array(z.string().min(1)).min(2, 'an incident ties at least two rules'),
  /** Labels every member rule carries: alerts with equal values (none empty) are one incident. */
  tie: z.array(z.string().min(1)).min(1),
  /**
   * How long the first alert of an incident waits for the others (the incident's group_wait); by default the member
   * rule's own group_wait: the first alert is not delayed, and a cause found later edits the message, cause first.
   */
  wait: duration.optional(),
  /**
   * One line, cause first (template like a rule summary). In scope: `cause` (the first alert: summary, rule_id,
   * labels, value), `effects` (the others: `count`, `labels.<name>` = their distinct values, `rules` = their rule
   * ids), `key` (the tie labels), `count` (all alerts). Filter `ranges` writes ids as `07-tendermint-0..12`.
   */
  summary: z.string().min(1),
  /**
   * Member rules whose alert value is the seconds left until what they warn of (a wallet's projected_empty_s, a
   * client's remaining_s), measured at the event that fired it, counted from when the alert started: its ETA. A member with an ETA
   * is the cause only when it is due before every other member's ETA; due later, it goes after the others.
   */
  eta: z.array(z.string().min(1)).default([]),
  /**
   * The line instead of `summary` when the cause has an ETA due before those of the other rules' alerts (the wallet
   * empties before the clients expire): same scope, with `cause.eta_s` and `effects.eta_s` (seconds from now).
   */
  due_summary: z.string().min(1).optional(),
  /**
   * Context rules (see context.ts): alerts about what the incident's members depend on, labelled otherwise (the
   * counterparty chain stalled, its endpoint failing), listed first, as the likely cause, in every incident whose
   * tie values their mapped labels give. Their order ranks them.
   */
  context: z.array(incidentContext).default([]),
  /** The line instead of `summary` while a context alert is the cause (`cause` is that alert). */
  context_summary: z.string().min(1).optional(),
  /** false turns a shipped correlation off. */
  enabled: z.boolean().default(true),
});
export type IncidentRuleInput = z.infer<typeof incidentRule>;

/** The shipped correlation: relayer trouble on one IBC path (see the alerter README). As configured (raw). */
export const DEFAULT_INCIDENTS: z.input<typeof incidentRule>[] = [
  {
    id: 'ibc-relayer',
    rules: [
      'wallet-projected-empty',
      'wallet-below-threshold',
      'ibc-client-expired',
      'ibc-client-frozen',
      'ibc-client-expiry-imminent',
      'ibc-client-expiring',
    ],
    tie: ['chain_id', 'counterparty'],
    // The counterparty chain itself: stalled, or its endpoint failing (alerts on its own chain_id).
    context: [
      { rule: 'cosmos-chain-stalled', map: { counterparty: 'chain_id' } },
      { rule: 'cosmos-ibc-endpoint-errors', map: { counterparty: 'chain_id' } },
    ],
    context_summary:
      "{{ cause.summary }}{{ 'client_id' in effects.labels ? '; clients ' : '; ' + string(effects.count) + ' alert(s) toward it' }}{{ ('client_id' in effects.labels ? effects.labels.client_id : []) | ranges }}{{ 'client_id' in effects.labels ? ' toward it' + (effects.eta_s != null ? ' expire in ' : '') : '' }}{{ ('client_id' in effects.labels ? effects.eta_s : null) | duration }}",
    summary:
      "{{ cause.summary }}{{ effects.count > 0 ? '; also ' + string(effects.count) + ' alert(s) toward ' + key.counterparty : '' }}{{ effects.count > 0 && size(effects.labels.client_id) > 0 ? ': clients ' : '' }}{{ effects.labels.client_id | ranges }}",
    eta: ['wallet-projected-empty', 'ibc-client-expiry-imminent'],
    due_summary:
      'clients {{ effects.labels.client_id | ranges }} expire in {{ effects.eta_s | duration }}; the relayer wallet {{ cause.labels.address }} empties in {{ cause.eta_s | duration }} at the current burn rate',
  },
];

export interface Incident {
  id: string;
  rank: Map<string, number>;
  tie: string[];
  waitMs: number | null;
  summary: CompiledTemplate;
  dueSummary: CompiledTemplate | null;
  /** Member rules whose value is the seconds left (see `eta`). */
  eta: Set<string>;
  /** Context rules, in rank order (see context.ts). */
  context: IncidentContext[];
  contextSummary: CompiledTemplate | null;
}

/** A member rule's part in an incident (set on the compiled rule, read when an episode is built). */
export interface IncidentMembership {
  id: string;
  tie: string[];
  /** null: the member rule's group_wait. */
  waitMs: number | null;
}

export type IncidentIndex = Map<string, Incident>;

const VARS = ['cause', 'effects', 'key', 'count'];

/**
 * Compiles the correlation rules against the loaded rules: every problem is returned (unknown rules, tie labels a
 * member does not carry, a rule in two incidents, a bad template); members get `incident` set.
 */
export function compileIncidents(
  inputs: readonly IncidentRuleInput[],
  rules: CompiledRule[],
  /** Every rule id configured, disabled ones included (a disabled member just leaves the incident). */
  knownIds: ReadonlySet<string>,
  /** Ids of shipped correlations the user did not change. */
  shipped: ReadonlySet<string> = new Set(),
  /** Where each input was configured (for messages). */
  wheres?: readonly string[],
): { index: IncidentIndex; issues: string[] } {
  const issues: string[] = [];
  const index: IncidentIndex = new Map();
  const byId = new Map(rules.map((r) => [r.id, r]));
  const owner = new Map<string, string>();
  for (const [i, inc] of inputs.entries()) {
    if (!inc.enabled) continue;
    const where = `${wheres?.[i] ?? `incidents.${i}`} (id=${inc.id})`;
    if (index.has(inc.id)) issues.push(`${where}: duplicate incident id`);
    let summary: CompiledTemplate | null = null;
    try {
      summary = compileTemplate(inc.summary, { vars: VARS });
    } catch (err) {
      issues.push(`${where}.summary: ${(err as Error).message}`);
    }
    let dueSummary: CompiledTemplate | null = null;
    try {
      if (inc.due_summary) dueSummary = compileTemplate(inc.due_summary, { vars: VARS });
    } catch (err) {
      issues.push(`${where}.due_summary: ${(err as Error).message}`);
    }
    if (inc.due_summary && !inc.eta.length)
      issues.push(`${where}.due_summary: needs eta (which rules are due when)`);
    let contextSummary: CompiledTemplate | null = null;
    try {
      if (inc.context_summary) contextSummary = compileTemplate(inc.context_summary, { vars: VARS });
    } catch (err) {
      issues.push(`${where}.context_summary: ${(err as Error).message}`);
    }
    if (inc.context_summary && !inc.context.length)
      issues.push(`${where}.context_summary: needs context (which rules' alerts are the context)`);
    const context = compileContext(
      inc.context,
      inc,
      where,
      byId,
      (id) => knownIds.has(id) || shipped.has(inc.id),
      issues,
    );
    const present: CompiledRule[] = [];
    for (const id of inc.rules) {
      const rule = byId.get(id);
      if (!rule) {
        // A shipped correlation names the shipped rules; without them (no defaults loaded) it just has no members.
        if (!knownIds.has(id) && !shipped.has(inc.id)) issues.push(`${where}.rules: "${id}" is not a rule`);
        continue;
      }
      const other = owner.get(id);
      if (other) issues.push(`${where}.rules: "${id}" is already a member of incident "${other}"`);
      owner.set(id, inc.id);
      for (const t of inc.tie)
        if (t !== 'chain_id' && !rule.labelsByName.has(t))
          issues.push(`${where}.tie: "${t}" is not a label of rule "${id}"`);
      present.push(rule);
    }
    for (const id of inc.eta)
      if (!inc.rules.includes(id)) issues.push(`${where}.eta: "${id}" is not one of its rules`);
    if (!summary) continue;
    index.set(inc.id, {
      id: inc.id,
      rank: new Map(inc.rules.map((r, n) => [r, n])),
      tie: inc.tie,
      waitMs: inc.wait ?? null,
      summary,
      dueSummary,
      eta: new Set(inc.eta),
      context,
      contextSummary,
    });
    for (const rule of present) rule.incident = { id: inc.id, tie: inc.tie, waitMs: inc.wait ?? null };
  }
  return { index, issues };
}

/** The incident group of an alert: its labels, or null when a tie label is empty (then it groups as usual). */
export function incidentGroupLabels(
  m: IncidentMembership,
  labels: Record<string, string>,
): Record<string, string> | null {
  const out: Record<string, string> = { incident: m.id };
  for (const t of m.tie) {
    const v = labels[t];
    if (!v) return null;
    out[t] = v;
  }
  return out;
}

/**
 * When an alert of an `eta` rule is due (ms): its value (seconds left, the value of the event that fired it) from
 * when it started (the time that event counts as a fact at, on the alerter's clock).
 */
function etaOf(inc: Incident, a: Alert): number | null {
  if (!inc.eta.has(a.rule_id) || a.value === null) return null;
  const at = Date.parse(a.started_at);
  return Number.isNaN(at) ? null : at + a.value * 1000;
}

/**
 * Orders an incident's alerts cause first and renders its summary line. The rank of the member rules orders them,
 * except that an alert with an ETA due later than an alert of a rule ranked after it goes after the others (a wallet that
 * lasts three days is not why clients expire in nine hours). Template vars add `cause.eta_s` and `effects.eta_s`
 * (the earliest of the other rules' alerts, seconds from now); `due_summary` is the line when the cause is due first.
 * Context alerts (`context`, in their rules' order) go before all of them: the first is the cause, and
 * `context_summary` the line.
 */
export function describeIncident(
  inc: Incident,
  key: Record<string, string>,
  alerts: Alert[],
  now: number,
  context: Alert[] = [],
): { alerts: Alert[]; summary: string } {
  const etas = new Map(alerts.map((a) => [a, etaOf(inc, a)]));
  const ranked = (a: Alert) => inc.rank.get(a.rule_id) ?? inc.rank.size;
  // Ranked ahead of an alert due before it: moved back.
  const later = (a: Alert) => {
    const due = etas.get(a) ?? null;
    return (
      due !== null &&
      alerts.some((b) => ranked(b) > ranked(a) && (etas.get(b) ?? Number.POSITIVE_INFINITY) < due)
    );
  };
  const demoted = new Set(alerts.filter(later));
  const rank = (a: Alert) => (demoted.has(a) ? inc.rank.size : ranked(a));
  const sorted = [
    ...context,
    ...[...alerts].sort((a, b) => rank(a) - rank(b) || a.started_at.localeCompare(b.started_at)),
  ];
  const [cause, ...effects] = sorted;
  const labels: Record<string, string[]> = {};
  for (const e of effects)
    for (const [k, v] of Object.entries(e.labels)) {
      const l = labels[k] ?? [];
      labels[k] = l;
      if (v && !l.includes(v)) l.push(v);
    }
  const seconds = (ms: number | null) => (ms === null ? null : Math.max(0, Math.round((ms - now) / 1000)));
  const causeEta = etas.get(cause!) ?? null;
  const effectEtas = effects
    .filter((e) => e.rule_id !== cause!.rule_id)
    .map((e) => etas.get(e) ?? null)
    .filter((x): x is number => x !== null);
  const effectsEta = effectEtas.length ? Math.min(...effectEtas) : null;
  const vars = {
    cause: {
      summary: cause!.summary,
      rule_id: cause!.rule_id,
      labels: cause!.labels,
      value: cause!.value,
      eta_s: seconds(causeEta),
    },
    effects: {
      count: effects.length,
      labels,
      rules: [...new Set(effects.map((e) => e.rule_id))],
      eta_s: seconds(effectsEta),
    },
    key,
    count: sorted.length,
  };
  // Due first: the cause has an ETA before every other rule's, and no alert was moved back for being due later.
  const dueFirst = causeEta !== null && effectsEta !== null && causeEta < effectsEta && demoted.size === 0;
  const template =
    context.length && inc.contextSummary
      ? inc.contextSummary
      : dueFirst && inc.dueSummary
        ? inc.dueSummary
        : inc.summary;
  let summary: string;
  try {
    summary = template.render({ event: {}, data: {}, params: {}, vars });
  } catch {
    // A template that fails on these alerts (e.g. a label they lack) still says the cause.
    summary = cause!.summary;
  }
  return { alerts: sorted, summary };
}

/**
 * The configured correlation rules (`alerter.incidents`) merged over the shipped ones by id (a user entry's keys
 * over the default's, like rules), validated and compiled; problems are pushed to `issues` as `incidents.N: …`.
 */
export function loadIncidents(
  raw: readonly unknown[],
  rules: CompiledRule[],
  knownIds: ReadonlySet<string>,
  issues: string[],
): IncidentIndex {
  const byId = new Map<string, Record<string, unknown>>(DEFAULT_INCIDENTS.map((d) => [d.id, { ...d }]));
  const inputs: IncidentRuleInput[] = [];
  const shipped = new Set(byId.keys());
  const merged: [string, Record<string, unknown>][] = [];
  for (const [i, r] of raw.entries()) {
    if (!r || typeof r !== 'object' || Array.isArray(r)) {
      issues.push(`alerter.incidents.${i}: must be a mapping`);
      continue;
    }
    const rec = r as Record<string, unknown>;
    const prev = typeof rec.id === 'string' ? byId.get(rec.id) : undefined;
    if (prev) {
      byId.set(rec.id as string, { ...prev, ...rec });
      shipped.delete(rec.id as string);
    } else merged.push([`alerter.incidents.${i}`, rec]);
  }
  const wheres: string[] = [];
  for (const [where, rec] of [
    ...[...byId.values()].map((r) => ['alerter.incidents', r] as const),
    ...merged,
  ]) {
    const parsed = parseConfigValue(incidentRule, rec);
    if (!parsed.success)
      for (const line of parsed.issues) issues.push(`${where} (id=${String(rec.id)}): ${line}`);
    else {
      inputs.push(parsed.data);
      wheres.push(where);
    }
  }
  const { index, issues: more } = compileIncidents(inputs, rules, knownIds, shipped, wheres);
  issues.push(...more);
  return index;
}

/**
 * For a group of a correlation rule: its alerts cause first and the notification's `incident`; else null. `firing`:
 * the announced, firing alerts of context rules, those of them that join this group are listed first (and named in
 * `incident.context`).
 */
export function incidentOf(
  index: IncidentIndex | undefined,
  groupLabels: Record<string, string>,
  alerts: Alert[],
  now: number,
  firing: readonly Alert[] = [],
): { alerts: Alert[]; incident: { id: string; summary: string; context?: string[] } } | null {
  const id = groupLabels.incident;
  const inc = id && index ? index.get(id) : undefined;
  if (!inc || alerts.length === 0) return null;
  const key: Record<string, string> = {};
  for (const t of inc.tie) key[t] = groupLabels[t] ?? '';
  const context = contextOf(inc.context, groupLabels, firing);
  const d = describeIncident(inc, key, alerts, now, context);
  return {
    alerts: d.alerts,
    incident: {
      id: inc.id,
      summary: d.summary,
      ...(context.length ? { context: context.map((a) => a.episode_id) } : {}),
    },
  };
}

/**
 * The announced, open, unsuppressed members of the incident groups among `groupKeys` (an SQL array expression):
 * a later firing of an incident lists them with the new alerts, so its message can be edited to the whole incident.
 */
export const INCIDENT_MEMBERS_SQL = (groupKeys: string) =>
  `SELECT * FROM alerter_episodes WHERE group_key = ANY(ARRAY(
       SELECT g.group_key FROM alerter_groups g WHERE g.group_key = ANY(${groupKeys}) AND g.labels ? 'incident'))
     AND state = 'firing' AND suppressed_by IS NULL AND notified_at IS NOT NULL`;
