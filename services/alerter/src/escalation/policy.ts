import { matcher, owner, type Severity } from '@tocsin/events';
import { positiveDuration } from '@tocsin/runtime';
import { z } from 'zod';
import { matcherProblems, matchesAll } from '../silences/match.ts';

const severityName = z.enum(['info', 'warning', 'critical']);
/** One value or a list of them, read as a list (so an error names the element, not "Invalid input"). */
const oneOrMany = <T extends z.ZodType>(t: T) =>
  z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(t).min(1));
/** The notifiers' provider names (packages/notify skips a notification addressed to others). */
const notifierName = z.enum(['discord', 'slack', 'telegram', 'webhook', 'console'], {
  error: (i) =>
    `unknown notifier ${JSON.stringify(i.input)}: one of discord, slack, telegram, webhook, console`,
});

/**
 * One step of a ladder, in Grafana OnCall's words: `wait: 10m`, `notify: role:oncall` (or a list),
 * `notify_by: telegram` (a notification only those notifiers deliver; with `notify`, they tag its owners), and
 * `repeat: K` (climb the ladder again K more times; last step only).
 */
const stepInput = z
  .strictObject({
    wait: positiveDuration.optional(),
    notify: oneOrMany(owner).optional(),
    notify_by: oneOrMany(notifierName).optional(),
    repeat: z.number().int().min(1).max(20).optional(),
  })
  .superRefine((s, ctx) => {
    const kinds = [
      s.wait !== undefined && 'wait',
      (s.notify !== undefined || s.notify_by !== undefined) && 'notify',
      s.repeat !== undefined && 'repeat',
    ].filter(Boolean);
    if (kinds.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `a step is one of wait, notify (with or without notify_by), notify_by, repeat; got ${
          kinds.length ? kinds.join(' + ') : 'none'
        }`,
      });
  });

/** `alerter.escalation_policies[]`: the first policy whose severities and matchers fit an alert is its ladder. */
export const escalationPolicy = z
  .strictObject({
    name: z.string().min(1),
    /** Severities this policy is for (default: all). */
    severity: oneOrMany(severityName).optional(),
    /** Label matchers (Alertmanager semantics, as silences): the route this policy is for. */
    matchers: z.array(matcher).default([]),
    steps: z.array(stepInput).min(1),
  })
  .superRefine((p, ctx) => {
    for (const problem of matcherProblems(p.matchers)) {
      const [path, ...rest] = problem.split(': ');
      ctx.addIssue({
        code: 'custom',
        path: path!.split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x)),
        message: rest.join(': '),
      });
    }
    p.steps.forEach((s, i) => {
      if (s.repeat !== undefined && i !== p.steps.length - 1)
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'repeat'],
          message: 'repeat must be the last step',
        });
    });
    if (!p.steps.some((s) => s.notify !== undefined || s.notify_by !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['steps'],
        message: 'a ladder needs at least one notify or notify_by step',
      });
  });
export const escalationPolicies = z.array(escalationPolicy).superRefine((ps, ctx) => {
  const seen = new Set<string>();
  ps.forEach((p, i) => {
    if (seen.has(p.name))
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate policy ${p.name}` });
    seen.add(p.name);
  });
});
export type EscalationPolicyInput = z.output<typeof escalationPolicy>;

/** A step as an episode stores it (jsonb). */
export type LadderStep = { wait: number } | { notify: string[]; notifiers: string[] };

/** The ladder an episode climbs: stored on the episode when it opens, so a config change does not move it. */
export interface Ladder {
  policy: string;
  steps: LadderStep[];
  /** Further climbs after the first. */
  repeat: number;
}

export interface CompiledPolicy {
  ladder: Ladder;
  severities: Severity[] | null;
  matchers: EscalationPolicyInput['matchers'];
}

const asList = <T>(v: T[] | undefined): T[] => v ?? [];

export function compilePolicies(ps: readonly EscalationPolicyInput[]): CompiledPolicy[] {
  return ps.map((p) => {
    const steps: LadderStep[] = [];
    let repeat = 0;
    for (const s of p.steps) {
      if (s.wait !== undefined) steps.push({ wait: s.wait });
      else if (s.repeat !== undefined) repeat = s.repeat;
      else steps.push({ notify: asList(s.notify), notifiers: asList(s.notify_by) });
    }
    return {
      ladder: { policy: p.name, steps, repeat },
      severities: p.severity === undefined ? null : asList(p.severity),
      matchers: p.matchers,
    };
  });
}

/** The old one-step escalation (`defaults.escalation`, a rule's `escalate:`) as a ladder: wait, then notify. */
export function legacyLadder(policy: string, afterMs: number, mentions: string[]): Ladder {
  return { policy, steps: [{ wait: afterMs }, { notify: mentions, notifiers: [] }], repeat: 0 };
}

/** The policies a rule of this severity may use, in order (its labels pick one when an episode opens). */
export function policiesFor(all: readonly CompiledPolicy[], severity: Severity): CompiledPolicy[] {
  return all.filter((p) => p.severities === null || p.severities.includes(severity));
}

export function selectLadder(
  candidates: readonly CompiledPolicy[],
  labels: Record<string, string>,
): Ladder | null {
  for (const p of candidates) if (matchesAll(p.matchers, labels)) return p.ladder;
  return null;
}
