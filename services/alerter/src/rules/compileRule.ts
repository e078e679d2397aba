import { type EventRegistry, IMPLICIT_LABELS, type Severity } from '@tocsin/events';
import { parseDuration } from '@tocsin/runtime';
import type { RuleDefaults } from '../config.ts';
import { type CompiledPolicy, policiesFor } from '../escalation/policy.ts';
import type { IncidentMembership } from '../incidents/incidents.ts';
import { type CompiledExpression, compileExpression, isExpressionError } from './cel.ts';
import { checkDataPath } from './eventFields.ts';
import type { RuleInput } from './ruleSchema.ts';
import type { Evaluator, Scope } from './scope.ts';
import { type CompiledTemplate, compileTemplate } from './template.ts';

export type ConditionKind = 'threshold' | 'state_change' | 'absence' | 'count' | 'notice';
export type SubscriptionKind = 'wallet' | 'harmony_token';

/** Added to alerts of a `for_each` rule: whom the alert is for. */
export const SUBSCRIBER_LABEL = 'subscriber';

export interface CompiledRule {
  id: string;
  source: string;
  /** null = every type of the source. */
  types: string[] | null;
  mode: 'alert' | 'notice';
  kind: ConditionKind;
  where: ((s: Scope) => boolean)[];
  /** threshold / notice: when the condition holds; count: which events count. */
  test: Evaluator | null;
  bands: { name: string; test: Evaluator }[];
  okBand: string;
  changeValue: Evaluator | null;
  /** `endsWhen`: the event is a goodbye (its silence that follows is expected). */
  absence: { afterMs: number; forgetAfterMs: number; endsWhen: Evaluator | null } | null;
  count: { windowMs: number; min: number; bucketMs: number } | null;
  value: Evaluator | null;
  forMs: number;
  severity: Severity;
  labels: [string, CompiledTemplate][];
  labelsByName: Map<string, CompiledTemplate>;
  fingerprintLabels: string[];
  summary: CompiledTemplate;
  description: CompiledTemplate;
  links: { title: CompiledTemplate; url: CompiledTemplate }[];
  mentions: string[];
  mentionSubscribers: { kind: SubscriptionKind; target: Evaluator } | null;
  forEach: {
    subscriptions: { kind: SubscriptionKind; target: Evaluator } | null;
    items: Evaluator | null;
    as: string;
  } | null;
  priority: { object: Evaluator; rank: number } | null;
  steps: { every: number } | null;
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  sendResolved: boolean;
  resolveAfterMs: number | null;
  /**
   * Its alerts may be resolved by hand (ruleSchema `manual_resolve`): set, or a `threshold: "true"` rule (every
   * matching fact re-confirms it, so only `resolve_after` or a person ends it).
   */
  manualResolve: boolean;
  escalation: { afterMs: number; mentions: string[] } | null;
  /** Events (of the rule's source) that withdraw an alert of this rule: see ruleSchema `retracted_by`. */
  retractedBy: { types: string[]; where: Evaluator | null; reason: CompiledTemplate } | null;
  /** The escalation policies this rule's alerts may climb (their labels pick the first that matches). */
  escalationPolicies: CompiledPolicy[];
  /** Flap suppression (ruleSchema `flap`): more than `maxTransitions` changes within `windowMs` → flapping. */
  flap: { windowMs: number; maxTransitions: number } | null;
  /** Set when the rule is a member of a correlation rule (its alerts may group into an incident). */
  incident?: IncidentMembership;
}

export interface CompileContext {
  registry: EventRegistry;
  defaults: RuleDefaults;
  params: Record<string, unknown>;
  /** `alerter.escalation_policies`, compiled. */
  policies?: readonly CompiledPolicy[];
}

/** Collects every problem of one rule (not just the first), each as `path: reason`. */
export function compileRule(r: RuleInput, cx: CompileContext): { rule?: CompiledRule; issues: string[] } {
  const issues: string[] = [];
  const types =
    r.match.type === undefined ? null : Array.isArray(r.match.type) ? r.match.type : [r.match.type];
  const vars = ['labels', 'alert', ...(r.for_each ? [r.for_each.as] : [])];

  const checkPaths = (where: string, e: CompiledExpression, ofTypes = types) => {
    for (const p of e.params) {
      if (!(p in cx.params))
        issues.push(`${where}: unknown parameter "params.${p}" (set it under alerter.params)`);
    }
    for (const t of ofTypes ?? []) {
      for (const path of e.dataPaths) {
        const problem = checkDataPath(cx.registry, r.match.source, t, path);
        if (problem) issues.push(`${where}: ${problem}`);
      }
    }
  };
  const expr = (where: string, src: string | undefined, ofTypes = types): Evaluator | null => {
    if (src === undefined) return null;
    try {
      const e = compileExpression(src, { vars });
      checkPaths(where, e, ofTypes);
      return e.run;
    } catch (err) {
      if (isExpressionError(err)) {
        issues.push(`${where}: ${err.message} in ${JSON.stringify(src)}`);
        return null;
      }
      throw err;
    }
  };
  const template = (where: string, src: string, ofTypes = types): CompiledTemplate => {
    try {
      const t = compileTemplate(src, { vars });
      for (const e of t.expressions) checkPaths(where, e, ofTypes);
      return t;
    } catch (err) {
      if (isExpressionError(err)) {
        issues.push(`${where}: ${err.message} in ${JSON.stringify(src)}`);
        return compileTemplate('');
      }
      throw err;
    }
  };

  const where = r.match.where.map((m, i) => {
    const get = expr(`match.where.${i}.name`, m.name);
    let re: RegExp | null = null;
    if (m.op === '=~' || m.op === '!~') {
      try {
        re = new RegExp(`^(?:${m.value})$`);
      } catch (err) {
        issues.push(`match.where.${i}.value: bad regular expression: ${(err as Error).message}`);
      }
    }
    return (s: Scope) => {
      const v = get?.(s);
      const str = v === null || v === undefined ? '' : String(v);
      switch (m.op) {
        case '=':
          return str === m.value;
        case '!=':
          return str !== m.value;
        case '=~':
          return re?.test(str) ?? false;
        default:
          return !(re?.test(str) ?? false);
      }
    };
  });

  const c = r.condition ?? {};
  let kind: ConditionKind = 'notice';
  if (r.mode === 'alert') {
    if (c.threshold !== undefined) kind = 'threshold';
    else if (c.state_change) kind = 'state_change';
    else if (c.absence) kind = 'absence';
    else kind = 'count';
  }
  const test =
    kind === 'count'
      ? expr('condition.count.where', c.count?.where)
      : expr('condition.threshold', c.threshold);
  const bands = (c.state_change?.bands ?? []).map((b, i) => ({
    name: b.name,
    test: expr(`condition.state_change.bands.${i}.when`, b.when) ?? (() => false),
  }));
  if (c.state_change && bands.some((b) => b.name === c.state_change!.ok))
    issues.push(
      `condition.state_change.bands: a band cannot be named like the ok band "${c.state_change.ok}"`,
    );

  const labels: [string, CompiledTemplate][] = Object.entries(r.labels).map(([k, v]) => [
    k,
    template(`labels.${k}`, v),
  ]);
  const reserved = labels.filter(
    ([k]) => (IMPLICIT_LABELS as readonly string[]).includes(k) || k === SUBSCRIBER_LABEL,
  );
  for (const [k] of reserved) issues.push(`labels.${k}: "${k}" is set by the alerter`);
  const labelNames = [
    ...IMPLICIT_LABELS,
    ...labels.map(([k]) => k),
    ...(r.for_each ? [SUBSCRIBER_LABEL] : []),
  ];
  const fingerprintLabels = r.fingerprint ?? [
    'chain_id',
    ...labels.map(([k]) => k),
    ...(r.for_each ? [SUBSCRIBER_LABEL] : []),
  ];
  for (const f of fingerprintLabels) {
    if (!labelNames.includes(f))
      issues.push(`fingerprint: "${f}" is not a label of this rule (labels: ${labelNames.join(', ')})`);
  }
  if (r.for_each && !fingerprintLabels.includes(SUBSCRIBER_LABEL)) fingerprintLabels.push(SUBSCRIBER_LABEL);
  const groupBy = r.group_by ?? cx.defaults.group_by;
  for (const g of groupBy) {
    if (g !== '...' && !labelNames.includes(g))
      issues.push(`group_by: "${g}" is not a label of this rule (labels: ${labelNames.join(', ')})`);
  }

  let count: CompiledRule['count'] = null;
  if (c.count) {
    const windowMs = c.count.window;
    if (windowMs <= 0) issues.push('condition.count.window: must be positive');
    const min = c.count.min ?? Math.max(1, Math.ceil((c.count.per_second ?? 0) * (windowMs / 1000)));
    count = { windowMs, min, bucketMs: Math.max(1000, Math.ceil(windowMs / 30)) };
  }
  /** A literal duration, or `params.<name>` holding one. */
  const ms = (where: string, v: number | string): number => {
    if (typeof v === 'number') return v;
    const name = v.slice('params.'.length);
    if (!(name in cx.params)) {
      issues.push(`${where}: unknown parameter "${v}" (set it under alerter.params)`);
      return 0;
    }
    try {
      return parseDuration(cx.params[name] as string | number);
    } catch (err) {
      issues.push(`${where}: parameter "${v}" is not a duration: ${(err as Error).message}`);
      return 0;
    }
  };
  const absenceAfter = c.absence ? ms('condition.absence.after', c.absence.after) : 0;
  if (c.absence && absenceAfter <= 0) issues.push('condition.absence.after: must be positive');
  const resolveAfterMs = r.resolve_after === undefined ? null : ms('resolve_after', r.resolve_after);
  const rb = r.retracted_by;
  const retractTypes = rb ? [rb.type].flat() : [];
  const retractedBy: CompiledRule['retractedBy'] = rb
    ? {
        types: retractTypes,
        where: expr('retracted_by.where', rb.where, retractTypes),
        reason: template('retracted_by.reason', rb.reason, retractTypes),
      }
    : null;
  // The rule's labels, rendered on the withdrawing event, must name the same alert.
  if (rb)
    for (const [k, v] of Object.entries(r.labels))
      template(`retracted_by (label ${k} on ${retractTypes.join(', ')})`, v, retractTypes);

  const escalationDefaults = cx.defaults.escalation;
  let escalation: CompiledRule['escalation'] = null;
  if (r.escalate) escalation = { afterMs: r.escalate.after, mentions: r.escalate.mentions };
  else if (
    r.escalate === undefined &&
    escalationDefaults.severities.includes(r.severity) &&
    r.mode === 'alert'
  )
    escalation = { afterMs: escalationDefaults.after, mentions: escalationDefaults.mentions };
  // A rule's own `escalate:` (or `escalate: false`) wins over the policies.
  const escalationPolicies =
    r.escalate === undefined && r.mode === 'alert' ? policiesFor(cx.policies ?? [], r.severity) : [];

  const rule: CompiledRule = {
    id: r.id,
    source: r.match.source,
    types,
    mode: r.mode,
    kind,
    where,
    test,
    bands,
    okBand: c.state_change?.ok ?? 'ok',
    changeValue: expr('condition.state_change.value', c.state_change?.value),
    absence: c.absence
      ? {
          afterMs: absenceAfter,
          forgetAfterMs: c.absence.forget_after,
          endsWhen: expr('condition.absence.ends_when', c.absence.ends_when),
        }
      : null,
    count,
    value: expr('value', r.value),
    forMs: r.for,
    severity: r.severity,
    labels,
    labelsByName: new Map(labels),
    fingerprintLabels,
    summary: template('summary', r.summary),
    description: template('description', r.description),
    links: r.links.map((l, i) => ({
      title: template(`links.${i}.title`, l.title),
      url: template(`links.${i}.url`, l.url),
    })),
    mentions: r.mentions,
    mentionSubscribers: r.mention_subscribers
      ? {
          kind: r.mention_subscribers.kind,
          target: expr('mention_subscribers.target', r.mention_subscribers.target) ?? (() => null),
        }
      : null,
    forEach: r.for_each
      ? {
          subscriptions: r.for_each.subscriptions
            ? {
                kind: r.for_each.subscriptions.kind,
                target:
                  expr('for_each.subscriptions.target', r.for_each.subscriptions.target) ?? (() => null),
              }
            : null,
          items: expr('for_each.items', r.for_each.items),
          as: r.for_each.as,
        }
      : null,
    priority: r.priority
      ? { object: expr('priority.object', r.priority.object) ?? (() => null), rank: r.priority.rank }
      : null,
    steps: r.steps ?? null,
    groupBy,
    groupWaitMs: r.group_wait ?? cx.defaults.group_wait,
    groupIntervalMs: r.group_interval ?? cx.defaults.group_interval,
    repeatIntervalMs: r.repeat_interval ?? cx.defaults.repeat_interval[r.severity],
    sendResolved: r.send_resolved,
    resolveAfterMs,
    manualResolve: r.manual_resolve ?? (kind === 'threshold' && c.threshold?.trim() === 'true'),
    escalation,
    retractedBy,
    escalationPolicies,
    flap: r.flap ? { windowMs: r.flap.window, maxTransitions: r.flap.max_transitions } : null,
  };
  return issues.length ? { issues } : { rule, issues };
}

/** True when an event passes the rule's `match` (source, type, where). */
export function ruleMatches(rule: CompiledRule, scope: Scope): boolean {
  for (const w of rule.where) if (!w(scope)) return false;
  return true;
}
