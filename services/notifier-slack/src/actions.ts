import type { Alert, Notification } from '@tocsin/events';
import { z } from 'zod';
import { type Button, LIMITS } from './blocks.ts';

/**
 * The buttons on an alert message. The action id says what to do, the value carries what it applies to (episodes
 * for ack, label matchers for silence) so a click needs no lookup before calling the alerter.
 */
export const ACTION = {
  ack: 'tocsin_ack',
  silence1h: 'tocsin_silence_1h',
  silence24h: 'tocsin_silence_24h',
  resolve: 'tocsin_resolve',
} as const;

const SILENCE_SECONDS: Record<string, number> = { [ACTION.silence1h]: 3600, [ACTION.silence24h]: 86_400 };

export type Matcher = { name: string; op: '='; value: string };

export type ButtonAction =
  | { kind: 'ack'; episodes: string[]; fingerprint?: string }
  | { kind: 'silence'; matchers: Matcher[]; duration_s: number }
  | { kind: 'resolve'; episodes: string[] };

const ackValue = z.object({ e: z.array(z.string().min(1)).min(1).max(60), f: z.string().optional() });
const resolveValue = z.object({ e: z.array(z.string().min(1)).min(1).max(60) });
const silenceValue = z.object({ m: z.array(z.tuple([z.string().min(1), z.string()])).min(1) });

/**
 * Matchers that select this alert for a silence: all its labels, as Alertmanager does (the alerter's labels
 * already include `rule`, `source`, `chain_id` and `severity`; added here when an alert lacks them).
 */
export function alertMatchers(a: Alert): Matcher[] {
  const labels: Record<string, string> = { rule: a.rule_id, chain_id: a.chain_id, ...a.labels };
  return Object.entries(labels).map(([name, value]) => ({ name, op: '=', value }));
}

/** A group is silenced by its group labels; without any, by a rule they all share; otherwise not at all. */
export function groupMatchers(n: Notification): Matcher[] {
  const labels = Object.entries(n.group.labels).map(([name, value]) => ({ name, op: '=' as const, value }));
  if (labels.length) return labels;
  const rules = new Set(n.alerts.map((a) => a.rule_id));
  return rules.size === 1 ? [{ name: 'rule', op: '=', value: [...rules][0]! }] : [];
}

function encodeMatchers(matchers: Matcher[]): string | null {
  // All matchers or no button: a silence broader than the alert it was clicked on would hide other alerts.
  const v = JSON.stringify({ m: matchers.map((m) => [m.name, m.value]) });
  return v.length <= LIMITS.buttonValue ? v : null;
}

const button = (text: string, action_id: string, value: string, style?: 'primary' | 'danger'): Button => ({
  type: 'button',
  text: { type: 'plain_text', text, emoji: true },
  action_id,
  value,
  ...(style ? { style } : {}),
});

/**
 * Acknowledge / Snooze 1 h / Snooze 24 h (a silence of the alert's labels) for the alerts of a notification (those
 * that fit in a value), and Resolve for its open alerts whose rule cannot resolve them (`manual_resolve`).
 */
export function alertButtons(n: Notification): Button[] {
  const open = n.alerts.filter((a) => a.state !== 'resolved');
  if (open.length === 0) return [];
  const out: Button[] = [];
  const unacked = open.filter((a) => !a.acknowledged);
  const episodes = unacked.map((a) => a.episode_id);
  const ack = JSON.stringify(
    unacked.length === 1 ? { e: episodes, f: unacked[0]!.fingerprint } : { e: episodes },
  );
  if (unacked.length > 0 && ack.length <= LIMITS.buttonValue) {
    out.push(
      button(
        unacked.length > 1 ? `Acknowledge all (${unacked.length})` : 'Acknowledge',
        ACTION.ack,
        ack,
        'primary',
      ),
    );
  }
  const matchers = n.alerts.length === 1 ? alertMatchers(n.alerts[0]!) : groupMatchers(n);
  const silence = matchers.length ? encodeMatchers(matchers) : null;
  if (silence) {
    out.push(button('Snooze 1h', ACTION.silence1h, silence));
    out.push(button('Snooze 24h', ACTION.silence24h, silence, 'danger'));
  }
  const resolvable = JSON.stringify({ e: open.filter((a) => a.manual_resolve).map((a) => a.episode_id) });
  if (open.some((a) => a.manual_resolve) && resolvable.length <= LIMITS.buttonValue) {
    out.push(button(open.length > 1 ? 'Resolve all' : 'Resolve', ACTION.resolve, resolvable));
  }
  return out;
}

/** Reads a clicked button back; null for anything that is not one of ours or does not parse. */
export function decodeAction(actionId: string, value: string | undefined): ButtonAction | null {
  if (value === undefined) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return null;
  }
  if (actionId === ACTION.ack) {
    const v = ackValue.safeParse(raw);
    if (!v.success) return null;
    return { kind: 'ack', episodes: v.data.e, ...(v.data.f ? { fingerprint: v.data.f } : {}) };
  }
  if (actionId === ACTION.resolve) {
    const v = resolveValue.safeParse(raw);
    return v.success ? { kind: 'resolve', episodes: v.data.e } : null;
  }
  const seconds = SILENCE_SECONDS[actionId];
  if (seconds) {
    const v = silenceValue.safeParse(raw);
    if (!v.success) return null;
    return {
      kind: 'silence',
      duration_s: seconds,
      matchers: v.data.m.map(([name, value]) => ({ name, op: '=', value })),
    };
  }
  return null;
}
