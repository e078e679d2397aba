import type { EventEnvelope } from '@tocsin/events';
import { type CompiledRule, ruleMatches, SUBSCRIBER_LABEL } from '../rules/compileRule.ts';
import { isTruthy, type Scope } from '../rules/scope.ts';
import type { SubscriptionIndex } from '../subscriptions/subscriptionIndex.ts';
import { fingerprintOf } from './fingerprint.ts';
import type { Instance } from './types.ts';

/** The rules an event of one source and type is applied to, and those whose alerts it can withdraw. */
interface ForType {
  rules: CompiledRule[];
  /** Rules whose alerts an event of this type can withdraw (`retracted_by`). */
  retractors: CompiledRule[];
}

/**
 * Rules indexed by source, then type (rules that take every type of a source are in each type's list too): one
 * lookup per event finds both lists.
 */
export class RuleIndex {
  readonly #bySource = new Map<string, { byType: Map<string, ForType>; any: ForType }>();
  readonly byId = new Map<string, CompiledRule>();
  /** Whether any rule declares flap settings (none: a decision has no flap suppression to apply). */
  readonly anyFlap: boolean;
  #last: { source: string; type: string; forType: ForType } | null = null;

  constructor(readonly rules: CompiledRule[]) {
    const source = (name: string) => {
      let s = this.#bySource.get(name);
      if (!s) {
        s = { byType: new Map(), any: { rules: [], retractors: EMPTY } };
        this.#bySource.set(name, s);
      }
      return s;
    };
    const type = (s: { byType: Map<string, ForType> }, name: string) => {
      let t = s.byType.get(name);
      if (!t) {
        t = { rules: [], retractors: [] };
        s.byType.set(name, t);
      }
      return t;
    };
    this.anyFlap = rules.some((r) => r.flap);
    for (const r of rules) {
      this.byId.set(r.id, r);
      const s = source(r.source);
      for (const t of r.retractedBy?.types ?? []) type(s, t).retractors.push(r);
      if (r.types) for (const t of r.types) type(s, t).rules.push(r);
      else s.any.rules.push(r);
    }
    // In rule order, as before: a type's own rules, then the source's every-type rules.
    for (const s of this.#bySource.values()) for (const t of s.byType.values()) t.rules.push(...s.any.rules);
  }

  /**
   * The rules an event of this source and type is applied to, and those whose alerts it can withdraw. Events come
   * in runs of one type: the last answer is kept, and two string comparisons find it again (each event's strings are
   * new, so a map lookup would hash them first).
   */
  forType(source: string, type: string): ForType {
    const last = this.#last;
    if (last !== null && last.source === source && last.type === type) return last.forType;
    const s = this.#bySource.get(source);
    const forType = s ? (s.byType.get(type) ?? s.any) : NONE;
    this.#last = { source, type, forType };
    return forType;
  }
}
const EMPTY: CompiledRule[] = [];
const NONE: ForType = { rules: EMPTY, retractors: EMPTY };

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The labels the alerter sets on every alert of a rule (IMPLICIT_LABELS). */
function implicitLabels(rule: CompiledRule, scope: Scope): Record<string, string> {
  return {
    rule: rule.id,
    source: rule.source,
    chain_id: String(scope.event.chain_id ?? '-'),
    severity: rule.severity,
  };
}

/** Renders the rule's labels plus the implicit ones for one scope. */
export function labelsFor(rule: CompiledRule, scope: Scope, owner?: string): Record<string, string> {
  const labels = implicitLabels(rule, scope);
  for (const [k, t] of rule.labels) labels[k] = t.render(scope);
  if (owner !== undefined) labels[SUBSCRIBER_LABEL] = owner;
  return labels;
}

/** The fingerprint alone: renders only the labels it is made of (equal to hashing `labelsFor`'s). */
function fingerprintFor(rule: CompiledRule, scope: Scope, owner: string | null): string {
  const implicit = implicitLabels(rule, scope);
  const labels: Record<string, string> = {};
  for (const name of rule.fingerprintLabels) {
    if (name === SUBSCRIBER_LABEL && owner !== null) labels[name] = owner;
    else if (Object.hasOwn(implicit, name)) labels[name] = implicit[name]!;
    else {
      const t = rule.labelsByName.get(name);
      if (t) labels[name] = t.render(scope);
    }
  }
  return fingerprintOf(rule.id, labels, rule.fingerprintLabels);
}

/** The subscribers an event concerns for a for_each rule: subscriptions table first, then the event's list. */
function subscribersOf(
  rule: CompiledRule,
  scope: Scope,
  subs: SubscriptionIndex,
): { item: Record<string, unknown>; owner: string; subscriptionId: string | null }[] {
  const fe = rule.forEach!;
  const out = new Map<
    string,
    { item: Record<string, unknown>; owner: string; subscriptionId: string | null }
  >();
  if (fe.subscriptions) {
    const target = fe.subscriptions.target(scope);
    if (target !== null && target !== undefined) {
      for (const s of subs.find(fe.subscriptions.kind, String(scope.event.chain_id), String(target))) {
        out.set(s.owner, { item: { ...s }, owner: s.owner, subscriptionId: s.id });
      }
    }
  }
  if (fe.items) {
    const list = fe.items(scope);
    if (Array.isArray(list)) {
      for (const it of list) {
        if (!it || typeof it !== 'object') continue;
        const owner = (it as { owner?: unknown }).owner;
        if (typeof owner !== 'string' || out.has(owner)) continue;
        out.set(owner, { item: it as Record<string, unknown>, owner, subscriptionId: null });
      }
    }
  }
  return [...out.values()];
}

export interface EvaluateOptions {
  params: Record<string, unknown>;
  subscriptions: SubscriptionIndex;
  /**
   * False when no alert of the rule is pending or firing: a threshold that does not hold then changes nothing,
   * and its labels and fingerprint need not be computed (most facts, most of the time).
   */
  mayBeActive?(ruleId: string): boolean;
  /**
   * False when the alert with this fingerprint is neither pending nor firing (asked only when the rule has some):
   * a threshold that does not hold then changes nothing either, and the rest of its labels need not be rendered.
   */
  isOpen?(fingerprint: string): boolean;
}

function instance(
  rule: CompiledRule,
  scope: Scope,
  event: EventEnvelope,
  factAt: number,
  owner: string | null,
  subscriptionId: string | null,
  opts: EvaluateOptions,
): Instance | null {
  let active = true;
  if (rule.kind === 'threshold' || rule.kind === 'notice') {
    active = rule.test ? isTruthy(rule.test(scope)) : true;
    if (!active) {
      if (rule.kind === 'notice' || opts.mayBeActive?.(rule.id) === false) return null;
      if (opts.isOpen && !opts.isOpen(fingerprintFor(rule, scope, owner))) return null;
    }
  } else if (rule.kind === 'count' && rule.test && !isTruthy(rule.test(scope))) return null;
  // Absence: an event that ends the watch (a goodbye) is inactive.
  else if (rule.kind === 'absence' && rule.absence?.endsWhen)
    active = !isTruthy(rule.absence.endsWhen(scope));
  let band: string | null = null;
  let changeValue: unknown = null;
  if (rule.kind === 'state_change') {
    changeValue = rule.changeValue ? rule.changeValue(scope) : null;
    if (rule.bands.length) band = rule.bands.find((b) => isTruthy(b.test(scope)))?.name ?? rule.okBand;
  }
  const labels = labelsFor(rule, scope, owner ?? undefined);
  return {
    rule,
    fingerprint: fingerprintOf(rule.id, labels, rule.fingerprintLabels),
    labels,
    scope,
    event,
    factAt,
    active,
    band,
    changeValue,
    value: rule.value ? num(rule.value(scope)) : null,
    subscriptionId,
    owners: owner ? [owner] : [],
    owner,
  };
}

/** Key under which count and notice rules apply a fact once (redelivered, or reported by another instance). */
export function factKey(i: Instance): string {
  const e = i.event;
  return `${i.rule.id}:${e.source}.${e.type}:${e.dedup_key}${i.owner ? `:${i.owner}` : ''}`;
}

/**
 * Applies every matching rule to an event. Pure apart from reading the subscription index. `factAt` is the time
 * the fact counts at (its observed_at, bounded by when it was received: see intake/receive.ts).
 */
export function evaluateEvent(
  index: RuleIndex,
  event: EventEnvelope,
  opts: EvaluateOptions,
  factAt = Date.parse(event.observed_at),
): Instance[] {
  const { rules, retractors } = index.forType(event.source, event.type);
  if (rules.length === 0 && retractors.length === 0) return [];
  const base: Scope = {
    event: event as unknown as Record<string, unknown>,
    data: event.data,
    params: opts.params,
    vars: {},
  };
  const out: Instance[] = [];
  const at = Number.isNaN(factAt) ? 0 : factAt;
  for (const rule of rules) {
    if (!ruleMatches(rule, base)) continue;
    if (!rule.forEach) {
      const i = instance(rule, base, event, at, null, null, opts);
      if (i) out.push(i);
      continue;
    }
    for (const s of subscribersOf(rule, base, opts.subscriptions)) {
      const scope = { ...base, vars: { [rule.forEach.as]: s.item } };
      const i = instance(rule, scope, event, at, s.owner, s.subscriptionId, opts);
      if (i) out.push(i);
    }
  }
  for (const rule of retractors) {
    const r = rule.retractedBy!;
    if (r.where && !isTruthy(r.where(base))) continue;
    // The rule's labels on the withdrawing event: the fingerprint of the alert it withdraws.
    const labels = labelsFor(rule, base);
    out.push({
      rule,
      fingerprint: fingerprintOf(rule.id, labels, rule.fingerprintLabels),
      labels,
      scope: base,
      event,
      factAt: at,
      active: false,
      band: null,
      changeValue: null,
      value: null,
      subscriptionId: null,
      owners: [],
      owner: null,
      retract: r.reason.render(base),
    });
  }
  return out;
}
