import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registry as defaultRegistry, type EventRegistry } from '@tocsin/events';
import { ConfigError, parseConfigValue, parseDuration } from '@tocsin/runtime';
import { parse as parseYaml } from 'yaml';
import type { AlerterConfig } from '../config.ts';
import { compilePolicies } from '../escalation/policy.ts';
import { type IncidentIndex, loadIncidents } from '../incidents/incidents.ts';
import { type CompiledRule, compileRule } from './compileRule.ts';
import { ruleInput } from './ruleSchema.ts';

/** The shipped defaults: one YAML file per event source, each `params:` + `rules:`. */
export const defaultRulesDir = join(dirname(fileURLToPath(import.meta.url)), 'defaults');

export interface RuleSet {
  rules: CompiledRule[];
  params: Record<string, unknown>;
  /** Correlation rules by id (their member rules carry `incident`). */
  incidents: IncidentIndex;
}

interface RawRule {
  raw: Record<string, unknown>;
  /** Where it came from, for error messages: `alerter.rules.3` or `my-rules.yaml: rules.0`. */
  where: string;
}

interface RuleFile {
  params: Record<string, unknown>;
  rules: RawRule[];
}

function readRuleFile(path: string, label: string, issues: string[]): RuleFile {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code
      ? `cannot read it (${(err as NodeJS.ErrnoException).code})`
      : `not valid YAML: ${(err as Error).message.split('\n')[0]}`;
    issues.push(`${label}: ${reason}`);
    return { params: {}, rules: [] };
  }
  if (doc === null || doc === undefined) return { params: {}, rules: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    issues.push(`${label}: must be a mapping with a "rules" list`);
    return { params: {}, rules: [] };
  }
  const { rules = [], params = {}, ...rest } = doc as Record<string, unknown>;
  for (const k of Object.keys(rest)) issues.push(`${label}: unknown key "${k}" (expected rules, params)`);
  if (!Array.isArray(rules)) {
    issues.push(`${label}: rules must be a list`);
    return { params: {}, rules: [] };
  }
  return {
    params: (params ?? {}) as Record<string, unknown>,
    rules: rules.map((raw, i) => ({ raw: raw as Record<string, unknown>, where: `${label}: rules.${i}` })),
  };
}

/** Durations in params ("48h") become seconds, like duration literals in expressions. */
function normalizeParam(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return parseDuration(v) / 1000;
  } catch {
    return v;
  }
}

function describeRule(r: RawRule): string {
  const id = r.raw && typeof r.raw === 'object' && typeof r.raw.id === 'string' ? r.raw.id : '?';
  return `${r.where} (id=${id})`;
}

/**
 * Loads the default rules, then the user's (config `rules`, then `rules_files` in order; a rule whose id exists
 * replaces the fields it gives). Every problem of every rule is collected; any problem → ConfigError (exit 1),
 * each line naming the rule's place, its id and the reason.
 */
export function loadRules(
  cfg: Pick<AlerterConfig, 'rules' | 'rules_files' | 'params' | 'defaults'> &
    Partial<Pick<AlerterConfig, 'escalation_policies' | 'incidents'>>,
  opts: { registry?: EventRegistry; defaultsDir?: string | null; source?: string } = {},
): RuleSet {
  const reg = opts.registry ?? defaultRegistry;
  const policies = compilePolicies(cfg.escalation_policies ?? []);
  const issues: string[] = [];
  const files: RuleFile[] = [];
  const dir = opts.defaultsDir === undefined ? defaultRulesDir : opts.defaultsDir;
  if (dir) {
    for (const f of readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      files.push(readRuleFile(join(dir, f), `defaults/${f}`, issues));
    }
  }
  const defaults = files.flatMap((f) => f.rules);
  const user: RawRule[] = cfg.rules.map((raw, i) => ({
    raw: raw as Record<string, unknown>,
    where: `alerter.rules.${i}`,
  }));
  const params: Record<string, unknown> = {};
  for (const f of files) Object.assign(params, f.params);
  for (const path of cfg.rules_files) {
    const f = readRuleFile(path, path, issues);
    Object.assign(params, f.params);
    user.push(...f.rules);
  }
  Object.assign(params, cfg.params);
  for (const k of Object.keys(params)) params[k] = normalizeParam(params[k]);

  const byId = new Map<string, RawRule>();
  const order: string[] = [];
  const anonymous: RawRule[] = [];
  for (const r of [...defaults, ...user]) {
    if (!r.raw || typeof r.raw !== 'object' || Array.isArray(r.raw)) {
      issues.push(`${r.where}: a rule must be a mapping`);
      continue;
    }
    const id = r.raw.id;
    if (typeof id !== 'string') {
      anonymous.push(r);
      continue;
    }
    const prev = byId.get(id);
    if (prev) {
      const fromDefaults = defaults.includes(prev);
      if (!fromDefaults && user.includes(r) && user.includes(prev))
        issues.push(`${r.where} (id=${id}): duplicate rule id (also ${prev.where})`);
      byId.set(id, { raw: { ...prev.raw, ...r.raw }, where: r.where });
    } else {
      byId.set(id, r);
      order.push(id);
    }
  }

  const rules: CompiledRule[] = [];
  for (const r of [...order.map((id) => byId.get(id)!), ...anonymous]) {
    const parsed = parseConfigValue(ruleInput, r.raw);
    if (!parsed.success) {
      for (const line of parsed.issues) issues.push(`${describeRule(r)}: ${line}`);
      continue;
    }
    if (!parsed.data.enabled) continue;
    const compiled = compileRule(parsed.data, { registry: reg, defaults: cfg.defaults, params, policies });
    for (const line of compiled.issues) issues.push(`${describeRule(r)}: ${line}`);
    if (compiled.rule) rules.push(compiled.rule);
  }
  const incidents = loadIncidents(cfg.incidents ?? [], rules, new Set(byId.keys()), issues);
  if (issues.length) throw new ConfigError(opts.source ?? 'alerter rules', issues);
  return { rules, params, incidents };
}
