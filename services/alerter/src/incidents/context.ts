import { type Alert, IMPLICIT_LABELS } from '@tocsin/events';
import { z } from 'zod';
import type { CompiledRule } from '../rules/compileRule.ts';
import type { IncidentIndex } from './incidents.ts';

/**
 * Context members of an incident: alerts about something every incident of a kind may depend on (the counterparty
 * chain stalled, its endpoint failing), labelled differently from the members. `map` says which of the alert's
 * labels gives which tie label (`counterparty: chain_id`); unmapped tie labels match any value, so one such alert
 * joins every incident whose mapped tie values are its own (all the paths toward that chain). It keeps its own
 * group and message (it is chain-wide); while it fires and has been announced, the incidents it joins list it
 * first, as the likely cause, and are edited when it fires and when it resolves.
 */
export const incidentContext = z.strictObject({
  rule: z.string().min(1),
  /** Tie label of the incident → the label of this rule's alerts that gives its value. */
  map: z.record(z.string().min(1), z.string().min(1)),
});
export type IncidentContextInput = z.infer<typeof incidentContext>;

/** A context rule of one incident, compiled: its rank among the incident's context rules and its mapping. */
export interface IncidentContext {
  rule: string;
  rank: number;
  /** [tie label, the alert's label] pairs. */
  map: [string, string][];
}

/** Where each context rule leads: the incidents it is context of. */
export type ContextLinks = Map<string, { incident: string; context: IncidentContext }[]>;

/**
 * Validates and compiles an incident's context list; each problem names its field: an unknown rule, a rule that is
 * also a member, a rule listed twice, a mapping from a label that is not a tie label or to a label the rule lacks,
 * or a mapping that ties nothing (the alert would join every incident of this kind).
 */
export function compileContext(
  inputs: readonly IncidentContextInput[],
  inc: { id: string; rules: readonly string[]; tie: readonly string[] },
  where: string,
  byId: ReadonlyMap<string, CompiledRule>,
  /** Whether a rule id that is not loaded is fine (configured but disabled, or a shipped incident's rule). */
  absentOk: (id: string) => boolean,
  issues: string[],
): IncidentContext[] {
  const out: IncidentContext[] = [];
  const seen = new Set<string>();
  for (const [j, c] of inputs.entries()) {
    const at = `${where}.context.${j}`;
    if (inc.rules.includes(c.rule)) issues.push(`${at}.rule: "${c.rule}" is a member of this incident`);
    if (seen.has(c.rule)) issues.push(`${at}.rule: "${c.rule}" is listed twice`);
    seen.add(c.rule);
    const rule = byId.get(c.rule);
    if (!rule && !absentOk(c.rule)) issues.push(`${at}.rule: "${c.rule}" is not a rule`);
    const map = Object.entries(c.map);
    if (!map.length)
      issues.push(
        `${at}.map: maps no tie label (${inc.tie.join(', ')}): its alert would join every incident`,
      );
    for (const [tie, label] of map) {
      if (!inc.tie.includes(tie))
        issues.push(`${at}.map.${tie}: not a tie label of the incident (tie: ${inc.tie.join(', ')})`);
      if (rule && !rule.labelsByName.has(label) && !(IMPLICIT_LABELS as readonly string[]).includes(label))
        issues.push(`${at}.map.${tie}: "${label}" is not a label of rule "${c.rule}"`);
    }
    if (rule) out.push({ rule: c.rule, rank: j, map });
  }
  return out;
}

/** The tie values an alert of a context rule gives (its mapped labels), or null when one of them is empty. */
export function contextTie(
  ctx: IncidentContext,
  labels: Record<string, string>,
): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const [tie, label] of ctx.map) {
    const v = labels[label];
    if (!v) return null;
    out[tie] = v;
  }
  return out;
}

/** Whether an alert of a context rule joins the incident group with these labels (`incident` + its tie labels). */
export function joinsGroup(
  ctx: IncidentContext,
  alertLabels: Record<string, string>,
  group: Record<string, string>,
) {
  const tie = contextTie(ctx, alertLabels);
  return tie !== null && Object.entries(tie).every(([k, v]) => group[k] === v);
}

/**
 * The group-label patterns (`incident` + mapped tie values, for a JSONB `@>`) of the incident groups these alerts
 * of context rules join.
 */
export function contextPatterns(links: ContextLinks, alerts: readonly Alert[]): Record<string, string>[] {
  const out = new Map<string, Record<string, string>>();
  for (const a of alerts)
    for (const { incident, context } of links.get(a.rule_id) ?? []) {
      const tie = contextTie(context, a.labels);
      if (!tie) continue;
      const p = { incident, ...tie };
      out.set(JSON.stringify(Object.entries(p).sort()), p);
    }
  return [...out.values()];
}

/** The context alerts among `firing` that join the incident group with these labels, in their rules' order. */
export function contextOf(
  contexts: readonly IncidentContext[],
  group: Record<string, string>,
  firing: readonly Alert[],
): Alert[] {
  const out: { a: Alert; rank: number }[] = [];
  for (const a of firing) {
    const ctx = contexts.find((c) => c.rule === a.rule_id);
    if (ctx && joinsGroup(ctx, a.labels, group)) out.push({ a, rank: ctx.rank });
  }
  return out.sort((x, y) => x.rank - y.rank || x.a.started_at.localeCompare(y.a.started_at)).map((x) => x.a);
}

const linksCache = new WeakMap<IncidentIndex, ContextLinks>();

/** Context rule → the incidents it is context of (computed once per loaded index). */
export function contextLinks(index: IncidentIndex | undefined): ContextLinks {
  if (!index) return new Map();
  let links = linksCache.get(index);
  if (!links) {
    links = new Map();
    for (const inc of index.values())
      for (const context of inc.context) {
        const l = links.get(context.rule) ?? [];
        l.push({ incident: inc.id, context });
        links.set(context.rule, l);
      }
    linksCache.set(index, links);
  }
  return links;
}
