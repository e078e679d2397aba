import { daysText, formatMatchers } from '@tocsin/events';
import { formatDuration } from '@tocsin/runtime';
import type { AlerterConfig } from '../config.ts';
import { type CompiledPolicy, compilePolicies } from '../escalation/policy.ts';
import { configTimes } from '../maintenance/config.ts';
import { compileSchedule, occurrences } from '../maintenance/schedule.ts';
import type { CompiledRule } from '../rules/compileRule.ts';
import type { RuleSet } from '../rules/loadRules.ts';
import { matchesAll } from '../silences/match.ts';

/**
 * `tocsin rules check` in words: what the loaded configuration does beyond its rules — maintenance windows (their
 * times and next occurrences in their time zone), flap suppression, escalation ladders and incident correlations —
 * as an operator reads it. Everything here is read from the config as the alerter compiled it (a config the
 * alerter refuses never gets this far).
 */
export interface Explanation {
  maintenance: { name: string; lines: string[]; next: { starts_at: string; ends_at: string }[] }[];
  flap: { rule: string; lines: string[] }[];
  escalation: { policy: string; lines: string[] }[];
  incidents: { id: string; lines: string[] }[];
}

/** `Tue 24 Mar 2026 14:00` in the window's zone, with the zone's name (CET, GMT+1…). */
function localTime(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  })
    .format(ms)
    .replace(',', '');
}

function maintenanceLines(cfg: AlerterConfig, now: number, count: number): Explanation['maintenance'] {
  return cfg.maintenance.map((w) => {
    const t = configTimes(w);
    const lines: string[] = [];
    if (t.weekly) {
      const overnight = t.weekly.end <= t.weekly.start ? ' (ends the next day)' : '';
      lines.push(
        `${daysText(t.weekly.days)} ${t.weekly.start}–${t.weekly.end}${overnight}, ${t.timezone} time (moves with its daylight saving)`,
      );
    } else if (t.cron)
      lines.push(
        `each time the cron pattern "${t.cron}" matches in ${t.timezone}, for ${formatDuration(t.duration_s! * 1000)}`,
      );
    else
      lines.push(
        `once, ${localTime(Date.parse(t.starts_at!), t.timezone)} → ${
          t.ends_at
            ? localTime(Date.parse(t.ends_at), t.timezone)
            : `${formatDuration(t.duration_s! * 1000)} later`
        }`,
      );
    lines.push(`mutes alerts whose labels match all of: ${formatMatchers(w.matchers)}`);
    if (w.reason) lines.push(`reason: ${w.reason}`);
    const s = compileSchedule(t, t.starts_at ? Date.parse(t.starts_at) : 0);
    const next = 'problems' in s ? [] : occurrences(s, now, Number.MAX_SAFE_INTEGER, count);
    if (!next.length) lines.push('over: it mutes nothing any more');
    for (const o of next)
      lines.push(
        `${o.start <= now ? 'now' : 'next'}: ${localTime(o.start, t.timezone)} → ${localTime(o.end, t.timezone)}`,
      );
    lines.push('alerts inside it are recorded, not notified; one summary is posted when it ends');
    return {
      name: w.name,
      lines,
      next: next.map((o) => ({
        starts_at: new Date(o.start).toISOString(),
        ends_at: new Date(o.end).toISOString(),
      })),
    };
  });
}

function flapLines(rules: RuleSet): Explanation['flap'] {
  return rules.rules
    .filter((r) => r.flap)
    .map((r) => {
      const w = formatDuration(r.flap!.windowMs);
      return {
        rule: r.id,
        lines: [
          `more than ${r.flap!.maxTransitions} changes (fires or resolves) within ${w}: held as flapping`,
          'one message, edited as it flips, that says it is flapping (no message per flip)',
          `back to normal notifications once it has not changed for ${w}`,
        ],
      };
    });
}

/**
 * Whether a rule's alerts can fit a policy: its severity, and the matchers on what every alert of the rule carries
 * (rule, source, severity); the other labels are known only when an alert fires.
 */
function mayClimb(r: CompiledRule, p: CompiledPolicy): boolean {
  if (!r.escalationPolicies.some((c) => c.ladder.policy === p.ladder.policy)) return false;
  const known: Record<string, string> = { rule: r.id, source: r.source, severity: r.severity };
  return matchesAll(
    p.matchers.filter((m) => m.name in known),
    known,
  );
}

function escalationLines(cfg: AlerterConfig, rules: RuleSet): Explanation['escalation'] {
  const out: Explanation['escalation'] = compilePolicies(cfg.escalation_policies).map((p) => {
    const { ladder } = p;
    const lines = [
      `for ${p.severities ? `${p.severities.join(', ')} alerts` : 'alerts of any severity'}${
        p.matchers.length ? ` whose labels match all of: ${formatMatchers(p.matchers)}` : ''
      }, once notified:`,
    ];
    ladder.steps.forEach((s, i) => {
      if ('wait' in s) lines.push(`  ${i + 1}. wait ${formatDuration(s.wait)}`);
      else {
        const who = s.notify.length ? `notify ${s.notify.join(', ')}` : 'notify again';
        lines.push(`  ${i + 1}. ${who}${s.notifiers.length ? ` by ${s.notifiers.join(', ')} only` : ''}`);
      }
    });
    if (ladder.repeat)
      lines.push(`  then the ladder again, ${ladder.repeat} more time${ladder.repeat === 1 ? '' : 's'}`);
    lines.push('stops as soon as the alert is acknowledged or resolved; each step shows in its timeline');
    const users = rules.rules.filter((r) => mayClimb(r, p));
    lines.push(
      users.length
        ? `rules that may climb it (the first policy whose severity and matchers fit wins): ${users.map((r) => r.id).join(', ')}`
        : 'no rule climbs it (no rule of these severities without its own escalate:)',
    );
    return { policy: ladder.policy, lines };
  });
  const legacy = rules.rules.filter((r) => r.escalation && r.mode === 'alert');
  if (legacy.length) {
    const e = cfg.defaults.escalation;
    out.push({
      policy: '(one-step escalation)',
      lines: [
        `when no policy fits: ${e.severities.join(', ')} alerts not acknowledged after ${formatDuration(e.after)} notify ${
          e.mentions.length ? e.mentions.join(', ') : 'again (no extra mentions)'
        } (a rule's own escalate: overrides it)`,
        `rules: ${legacy.map((r) => r.id).join(', ')}`,
      ],
    });
  }
  return out;
}

function incidentLines(rules: RuleSet): Explanation['incidents'] {
  const present = new Set(rules.rules.map((r) => r.id));
  return [...rules.incidents.values()].map((inc) => {
    const members = [...inc.rank.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
    const loaded = members.filter((m) => present.has(m));
    const lines = [
      `alerts with the same ${inc.tie.join(' and ')} (none empty) become one incident: one message, edited as it grows`,
      `member rules, likely cause first: ${members.map((m) => (present.has(m) ? m : `${m} (not loaded)`)).join(', ')}`,
      loaded.length
        ? `the cause named first: ${loaded[0]}; then ${loaded.slice(1).join(', ') || 'nothing else'}`
        : 'no member rule is loaded: it never forms',
    ];
    if (inc.eta.size)
      lines.push(
        `a member with an ETA (${[...inc.eta].join(', ')}) is the cause only when it is due before the others' ETAs`,
      );
    for (const c of inc.context)
      lines.push(
        `context: an alert of ${c.rule}${present.has(c.rule) ? '' : ' (not loaded)'} joins every incident whose ${c.map
          .map(([tie, label]) => `${tie} is its ${label}`)
          .join(
            ' and ',
          )}${inc.tie.length > c.map.length ? ` (any ${inc.tie.filter((t) => !c.map.some(([m]) => m === t)).join(', ')})` : ''}: once announced (it keeps its own message) it is listed first, as the cause, while it fires`,
      );
    lines.push(
      `the first alert waits ${inc.waitMs === null ? "its rule's group_wait" : formatDuration(inc.waitMs)}`,
    );
    return { id: inc.id, lines };
  });
}

export function explainConfig(cfg: AlerterConfig, rules: RuleSet, now: number, count = 3): Explanation {
  return {
    maintenance: maintenanceLines(cfg, now, count),
    flap: flapLines(rules),
    escalation: escalationLines(cfg, rules),
    incidents: incidentLines(rules),
  };
}
