import { type Alert, IMPLICIT_LABELS, type Notification, type Transition } from '@tocsin/events';
import { formatDuration } from '@tocsin/runtime';
import { SENDER_ICON_LABEL, SENDER_NAME_LABEL } from './sender.ts';

/** How every chat shows a severity and a transition. */
export const SEVERITY_ICON: Record<string, string> = { critical: '🔴', warning: '🟠', info: '🔵' };
export const TRANSITION_VERB: Record<Transition, string> = {
  firing: 'FIRING',
  resolved: 'RESOLVED',
  repeat: 'STILL FIRING',
  escalated: 'ESCALATED',
  acknowledged: 'ACKNOWLEDGED',
  retracted: 'RETRACTED',
  notice: 'NOTICE',
  flapping: 'FLAPPING',
};

/**
 * What a flapping alert's message says (the alerter's flap suppression), or null when it is not flapping:
 * "flapping: 7 changes in 30m — held until stable for 30m", then, once stable, the state it settled in.
 */
export function flapNote(a: Pick<Alert, 'flapping'>): string | null {
  const f = a.flapping;
  if (!f) return null;
  const w = formatDuration(f.window_ms);
  if (f.settled) return `settled ${f.state} after flapping (stable for ${w})`;
  return `flapping: ${f.changes} changes in ${w} — held until stable for ${w} (now ${f.state})`;
}

/** Labels a message does not list: shown in places of their own (rule, chain, …), or who posts it (sender). */
const UNLISTED = new Set<string>([...IMPLICIT_LABELS, SENDER_NAME_LABEL, SENDER_ICON_LABEL]);

/** The labels a chat message lists as fields: not the implicit or sender ones, and none without a value. */
export function listedLabels(a: Alert): [string, string][] {
  return Object.entries(a.labels).filter(([k, v]) => v !== '' && !UNLISTED.has(k));
}

/**
 * A notice (a service started, a value changed) is news, not an alert: it has no resolve and no duration, although
 * the alerter stores it as an episode that ended where it began.
 */
export function isNotice(n: Pick<Notification, 'transition'>): boolean {
  return n.transition === 'notice';
}

export function alertLine(a: Alert): string {
  const ack = a.acknowledged ? ` (acked by ${a.acknowledged.by})` : '';
  const flap = flapNote(a);
  // '-' is the chain of facts about no chain (tocsin itself).
  return `${a.summary}${ack}${a.chain_id === '-' ? '' : ` [${a.chain_id}]`}${flap ? ` — ${flap}` : ''}`;
}

/** Plain-text rendering shared by the console notifier and chat fallbacks. Pure. */
export function renderText(n: Notification): string {
  const head = `${n.transition === 'resolved' ? '✅' : (SEVERITY_ICON[n.severity] ?? '•')} ${TRANSITION_VERB[n.transition]} ${n.severity} · ${n.source}`;
  const count = n.alerts.length > 1 ? ` · ${n.alerts.length} alerts` : '';
  const lines = n.alerts.slice(0, 20).map((a) => `  - ${alertLine(a)}`);
  if (n.alerts.length > 20) lines.push(`  … and ${n.alerts.length - 20} more`);
  const mentions = n.mentions.length ? `\n  cc ${n.mentions.join(' ')}` : '';
  return `${head}${count}\n${lines.join('\n')}${mentions}`;
}
