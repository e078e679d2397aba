import { type Alert, IMPLICIT_LABELS, type Notification } from '@tocsin/events';
import { SENDER_ICON_LABEL, SENDER_NAME_LABEL } from './sender.ts';

/** How every chat shows a severity and a transition. */
export const SEVERITY_ICON: Record<string, string> = { critical: '🔴', warning: '🟠', info: '🔵' };
export const TRANSITION_VERB: Record<string, string> = {
  firing: 'FIRING',
  resolved: 'RESOLVED',
  repeat: 'STILL FIRING',
  escalated: 'ESCALATED',
  acknowledged: 'ACKNOWLEDGED',
  retracted: 'RETRACTED',
  notice: 'NOTICE',
};

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
  // '-' is the chain of facts about no chain (tocsin itself).
  return `${a.summary}${ack}${a.chain_id === '-' ? '' : ` [${a.chain_id}]`}`;
}

/** Plain-text rendering shared by the console notifier and chat fallbacks. Pure. */
export function renderText(n: Notification): string {
  const head = `${n.transition === 'resolved' ? '✅' : (SEVERITY_ICON[n.severity] ?? '•')} ${TRANSITION_VERB[n.transition] ?? n.transition.toUpperCase()} ${n.severity} · ${n.source}`;
  const count = n.alerts.length > 1 ? ` · ${n.alerts.length} alerts` : '';
  const lines = n.alerts.slice(0, 20).map((a) => `  - ${alertLine(a)}`);
  if (n.alerts.length > 20) lines.push(`  … and ${n.alerts.length - 20} more`);
  const mentions = n.mentions.length ? `\n  cc ${n.mentions.join(' ')}` : '';
  return `${head}${count}\n${lines.join('\n')}${mentions}`;
}
